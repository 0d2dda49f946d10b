"""A real, reproducible time series: the Mackey-Glass delay differential equation.

Mackey and Glass (1977, "Oscillation and chaos in physiological control systems", Science
197:287) modelled the concentration of blood cells, produced with a maturation delay ``tau``:

    dx/dt = beta * x(t - tau) / (1 + x(t - tau) ** n) - gamma * x(t)

With ``beta=0.2, gamma=0.1, n=10, tau=17`` the solution is chaotic (it never repeats, and small
errors grow), which made it the standard benchmark of time-series prediction (Lapedes and Farber
1987; Jaeger and Haas 2004). The series here is computed, not downloaded: fourth-order
Runge-Kutta with step ``dt = 0.1``, constant history ``x = 1.2`` for ``t <= 0``, the delayed
value at half steps taken as the mean of its two grid neighbours, the first ``discard`` time
units dropped as transient, and one sample kept per time unit. The same arguments always give
the same float64 numbers (returned as float32), so nothing has to be shipped.

Example:
    >>> from numdeep.datasets import timeseries
    >>> series = timeseries.mackey_glass(500)
    >>> series.shape, series.dtype
    ((500,), dtype('float32'))
    >>> (x_train, y_train), (x_test, y_test) = timeseries.load_data(steps=20, n_samples=600)
    >>> x_train.shape, y_train.shape, x_test.shape
    ((464, 20, 1), (464, 1), (116, 20, 1))
"""

import numpy as np

__all__ = ["mackey_glass", "make_windows", "naive_forecast_mse", "load_data"]


def mackey_glass(n_samples=2000, tau=17.0, beta=0.2, gamma=0.1, exponent=10.0, dt=0.1,
                 sample_every=1.0, discard=500.0, x0=1.2, noise=0.0, seed=0):
    """Sample the Mackey-Glass series (see the module docstring for the integration scheme).

    Args:
        n_samples: number of samples returned.
        tau, beta, gamma, exponent: the equation's delay and coefficients.
        dt: Runge-Kutta step; ``tau`` and ``sample_every`` must be multiples of it.
        sample_every: time between returned samples.
        discard: length of the initial transient that is dropped (time units).
        x0: the constant history before ``t = 0``.
        noise: standard deviation of Gaussian observation noise added to the samples.
        seed: seed of that noise.

    Returns:
        A float32 array of shape ``(n_samples,)``.
    """
    delay, stride, skip = (int(round(v / dt)) for v in (tau, sample_every, discard))
    if min(delay, stride) < 1 or abs(delay * dt - tau) > 1e-9 or abs(stride * dt - sample_every) \
            > 1e-9:
        raise ValueError(f"mackey_glass needs tau and sample_every to be positive multiples of "
                         f"dt; received tau={tau}, sample_every={sample_every}, dt={dt}.")
    total = skip + n_samples * stride
    x = np.empty(delay + total + 1)
    x[:delay + 1] = x0

    def rate(value, lagged):
        return beta * lagged / (1.0 + lagged ** exponent) - gamma * value

    for i in range(delay, delay + total):
        lag, lag_next = x[i - delay], x[i - delay + 1]
        lag_half = 0.5 * (lag + lag_next)
        k1 = rate(x[i], lag)
        k2 = rate(x[i] + 0.5 * dt * k1, lag_half)
        k3 = rate(x[i] + 0.5 * dt * k2, lag_half)
        k4 = rate(x[i] + dt * k3, lag_next)
        x[i + 1] = x[i] + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    series = x[delay + skip + stride::stride][:n_samples]
    if noise:
        series = series + np.random.default_rng(seed).normal(0.0, noise, series.shape)
    return series.astype(np.float32)


def make_windows(series, steps, horizon=1):
    """Slide a window over ``series``: inputs of ``steps`` values, target ``horizon`` later.

    Returns:
        ``(x, y)`` with ``x`` of shape ``(samples, steps, 1)`` and ``y`` of shape
        ``(samples, 1)``, where ``y[i] = series[i + steps - 1 + horizon]``.

    Example:
        >>> x, y = make_windows(np.arange(6.0), steps=3)
        >>> x[:, :, 0].tolist(), y[:, 0].tolist()
        ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
    """
    series = np.asarray(series)
    samples = len(series) - steps - horizon + 1
    if steps < 1 or horizon < 1 or samples < 1:
        raise ValueError(f"make_windows: a series of length {len(series)} has no window of "
                         f"{steps} steps with a target {horizon} step(s) ahead.")
    index = np.arange(samples)[:, None] + np.arange(steps)[None, :]
    return series[index][..., None], series[index[:, -1] + horizon][:, None]


def naive_forecast_mse(x, y):
    """Mean squared error of predicting that the last observed value persists."""
    return float(np.mean((np.asarray(x)[:, -1, :] - np.asarray(y)) ** 2))


def load_data(steps=24, horizon=1, n_samples=2000, test_split=0.2, noise=0.0, seed=0):
    """Windows of the Mackey-Glass series, split in time: the last ``test_split`` is the test set.

    Args:
        steps: input window length.
        horizon: how many samples ahead the target lies.
        n_samples: length of the generated series.
        test_split: fraction of windows, taken from the end, held out for testing.
        noise, seed: observation noise (see ``mackey_glass``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` (Keras convention), float32, inputs of shape
        ``(samples, steps, 1)`` and targets ``(samples, 1)``.
    """
    x, y = make_windows(mackey_glass(n_samples, noise=noise, seed=seed), steps, horizon)
    n_test = int(round(len(x) * test_split))
    n_train = len(x) - n_test
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
