"""Callbacks: hooks into training (Keras names and hook signatures)."""

from numdeep.callbacks.backup_and_restore import BackupAndRestore
from numdeep.callbacks.base import Callback
from numdeep.callbacks.callback_list import CallbackList
from numdeep.callbacks.csv_logger import CSVLogger
from numdeep.callbacks.early_stopping import EarlyStopping
from numdeep.callbacks.history import History
from numdeep.callbacks.lambda_callback import LambdaCallback
from numdeep.callbacks.learning_rate_scheduler import LearningRateScheduler
from numdeep.callbacks.model_checkpoint import ModelCheckpoint
from numdeep.callbacks.monitor_callback import MonitorCallback
from numdeep.callbacks.orbax_checkpoint import OrbaxCheckpoint
from numdeep.callbacks.progbar import Progbar, ProgbarLogger
from numdeep.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from numdeep.callbacks.remote_monitor import RemoteMonitor
from numdeep.callbacks.swap_ema_weights import SwapEMAWeights
from numdeep.callbacks.tensorboard import TensorBoard
from numdeep.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
    "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback",
    "OrbaxCheckpoint", "Progbar", "ProgbarLogger", "ReduceLROnPlateau", "RemoteMonitor",
    "SwapEMAWeights", "TensorBoard", "TerminateOnNaN",
]
