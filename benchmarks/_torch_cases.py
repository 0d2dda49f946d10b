"""PyTorch (eager, CPU) side of the rows in ``benchmarks/_cases.py``: same shapes, same work."""

import numpy as np
from _cases import (
    CNN_FIT_STEPS,
    FAMILY_DATA,
    FAMILY_FIT_STEPS,
    MLP_FIT_STEPS,
    _images,
    _rng,
    family_data,
    minilm_batch,
    minilm_checkpoint,
)


def _mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(128, 10))


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))


def _lstm(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = nn.LSTM(1, 64, batch_first=True)
            self.l2 = nn.LSTM(64, 32, batch_first=True)
            self.out = nn.Linear(32, 1)

        def forward(self, x):
            h, _ = self.l1(x)
            h, _ = self.l2(h)
            return self.out(h[:, -1])
    return Net()


def _family(torch, name):
    nn = torch.nn
    if name == "conv_transpose":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 8, 3, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(8, 8, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 16, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.Conv2d(16, 1, 3, 1, 1))
    if name == "separable":
        return nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3, groups=32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, groups=32, bias=False), nn.Conv2d(32, 64, 1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    if name == "pooling":
        return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32 * 8 * 8, 10))
    if name == "batchnorm":
        return nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.BatchNorm2d(32, eps=1e-3, momentum=0.01), nn.ReLU(),
            nn.Conv2d(32, 32, 3), nn.BatchNorm2d(32, eps=1e-3, momentum=0.01), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    if name == "embedding":
        class Bag(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb, self.out = nn.Embedding(10000, 64), nn.Linear(64, 2)

            def forward(self, ids):
                return self.out(self.emb(ids).mean(1))
        return Bag()
    if name == "gru":
        class Gru(nn.Module):
            def __init__(self):
                super().__init__()
                self.gru, self.out = nn.GRU(8, 64, batch_first=True), nn.Linear(64, 1)

            def forward(self, x):
                return self.out(self.gru(x)[0][:, -1])
        return Gru()
    if name == "attention":
        class Attn(nn.Module):
            def __init__(self):
                super().__init__()
                self.mha = nn.MultiheadAttention(64, 4, batch_first=True)
                self.out = nn.Linear(64, 10)

            def forward(self, x):
                return self.out(self.mha(x, x, x, need_weights=False)[0].mean(1))
        return Attn()
    raise ValueError(f"unknown family {name!r}")


def _fit(torch, model, x, y, batch, steps, loss_fn):
    """The standard loop over ``steps`` shuffled batches, warmed up on two batches first."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch(n_steps):
        model.train()
        perm = torch.randperm(batch * n_steps)
        for i in range(0, batch * n_steps, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    epoch(2)
    return (lambda: epoch(steps)), steps


def _nchw(torch, x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def torch_row(row, threads):
    """``(fn, units)`` for PyTorch on ``row``."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nn = torch.nn
    xent = nn.CrossEntropyLoss()
    if row in ("predict_1", "call_1"):
        model = _mlp(nn).eval()
        x1 = torch.from_numpy(_images(1, 28, 28, 1)[0][..., 0])

        def call():
            with torch.inference_mode():
                return model(x1).numpy()
        return call, 1
    if row.startswith("mlp_train_"):
        batch = int(row.rsplit("_", 1)[1])
        x, y = _images(batch * MLP_FIT_STEPS, 28, 28, 1)
        return _fit(torch, _mlp(nn), torch.from_numpy(x[..., 0]), torch.from_numpy(y), batch,
                    MLP_FIT_STEPS, xent)
    if row == "cnn_train_128":
        x, y = _images(128 * CNN_FIT_STEPS, 28, 28, 1)
        return _fit(torch, _cnn(nn), _nchw(torch, x), torch.from_numpy(y), 128, CNN_FIT_STEPS,
                    xent)
    if row in ("cnn_infer_1024", "lstm_infer"):
        if row == "cnn_infer_1024":
            model, x = _cnn(nn).eval(), _nchw(torch, _images(1024, 28, 28, 1)[0])
        else:
            model = _lstm(torch).eval()
            x = torch.from_numpy(_rng().standard_normal((64, 50, 1)).astype(np.float32))

        def infer():
            with torch.inference_mode():
                return model(x)
        return infer, 1
    if row == "lstm_train":
        rng = _rng()
        x = rng.standard_normal((64 * 5, 50, 1)).astype(np.float32)
        y = rng.standard_normal((64 * 5, 1)).astype(np.float32)
        return _fit(torch, _lstm(torch), torch.from_numpy(x), torch.from_numpy(y), 64, 5,
                    nn.MSELoss())
    if row == "minilm_32x128":
        import transformers

        model = transformers.BertModel.from_pretrained(minilm_checkpoint()).eval()
        ids, mask = (torch.tensor(a) for a in minilm_batch())

        def encode():
            with torch.inference_mode():
                return model(input_ids=ids, attention_mask=mask).last_hidden_state
        return encode, 1
    name = row.removeprefix("train_")
    batch = FAMILY_DATA[name][0]
    x, y = family_data(name, batch * FAMILY_FIT_STEPS)
    x = _nchw(torch, x) if x.ndim == 4 else torch.from_numpy(x)
    y = _nchw(torch, y) if y.ndim == 4 else torch.from_numpy(y)
    loss = nn.MSELoss() if name in ("conv_transpose", "gru") else xent
    return _fit(torch, _family(torch, name), x, y, batch, FAMILY_FIT_STEPS, loss)
