"""Intersection-over-union metrics for segmentation and classification: ``IoU``, ``BinaryIoU``,
``MeanIoU``, ``OneHotIoU``, ``OneHotMeanIoU``.

Each accumulates a ``(num_classes, num_classes)`` confusion matrix (rows: true class, columns:
predicted class); the IoU of a class is ``tp / (tp + fp + fn)``, averaged over the target
classes that occurred. Labels outside ``[0, num_classes)`` (and ``ignore_class``) are skipped.
"""

import warnings

import numpy as np

from numdeep.metrics.base import Metric, as_array

_EPSILON = 1e-7


class _IoUBase(Metric):
    """The accumulated confusion matrix."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), "zeros", dtype=self.dtype,
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's confusion matrix."""
        y_true, y_pred = np.asarray(as_array(y_true)), np.asarray(as_array(y_pred))
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        integer = np.dtype(self.dtype).kind in "iu"
        if sample_weight is None:
            weights = np.ones(y_true.size)
        else:
            weights = np.asarray(as_array(sample_weight))
            if weights.dtype.kind == "f" and integer:
                warnings.warn("You are passing weight as `float`, but dtype is `int`. This may "
                              "result in an incorrect weight due to type casting Consider using "
                              "integer weights.", stacklevel=2)
            weights = np.broadcast_to(weights.astype(self.dtype).ravel(), (y_true.size,))
        true, pred = y_true.astype(self.dtype).ravel(), y_pred.astype(self.dtype).ravel()
        valid = (true >= 0) & (true < self.num_classes) & (pred >= 0) & (pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= true != self.ignore_class
        n = self.num_classes
        index = true[valid].astype(np.int64) * n + pred[valid].astype(np.int64)
        cm = np.bincount(index, weights=weights[valid].astype(np.float64), minlength=n * n)
        self.total_cm.assign_add(cm.reshape(n, n))


class IoU(_IoUBase):
    """Mean intersection-over-union of the classes in ``target_class_ids``.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoU is averaged.
        name: metric name.
        dtype: dtype of the confusion matrix (default int32; float32 for fractional weights).
        ignore_class: a label whose entries are skipped.
        sparse_y_true: labels are class ids (else one-hot/scores, arg-maxed over ``axis``).
        sparse_y_pred: predictions are class ids (else scores, arg-maxed over ``axis``).
        axis: the class axis for non-sparse inputs.

    Example:
        >>> from numdeep import metrics
        >>> m = metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> round(float(m([0, 0, 1, 1], [0, 1, 0, 1])), 4)
        0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = self.total_cm.data.astype(np.float32)
        tp = np.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        ids = np.asarray(self.target_class_ids, dtype=np.int64)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + _EPSILON), 0.0)
        return self._result(iou.sum() / (valid.sum() + _EPSILON))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary predictions: scores ``>= threshold`` are class 1, the others class 0.

    Args:
        target_class_ids: which of the classes 0 and 1 are averaged.
        threshold: the decision threshold.
        name, dtype: see ``IoU``.

    Example:
        >>> from numdeep import metrics
        >>> m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> round(float(m([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Threshold the scores, then add one batch's confusion matrix."""
        y_pred = np.asarray(as_array(y_pred), dtype=np.float32) >= self.threshold
        super().update_state(y_true, y_pred.astype(np.int64), sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """Mean IoU over all ``num_classes`` classes.

    Args:
        num_classes: the number of classes.
        name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: see ``IoU``.

    Example:
        >>> from numdeep import metrics
        >>> m = metrics.MeanIoU(num_classes=2)
        >>> round(float(m([0, 0, 1, 1], [0, 1, 0, 1])), 4)
        0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels (and, by default, score predictions), arg-maxed over ``axis``.

    Args:
        num_classes, target_class_ids, name, dtype, ignore_class: see ``IoU``.
        sparse_y_pred: predictions are already class ids.
        axis: the class axis.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels (and, by default, score predictions).

    Args:
        num_classes, name, dtype, ignore_class: see ``IoU``.
        sparse_y_pred: predictions are already class ids.
        axis: the class axis.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
