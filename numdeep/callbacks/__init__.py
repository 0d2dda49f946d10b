"""Callbacks: hooks into training (Keras names and hook signatures)."""

from numdeep.callbacks.base import Callback, CallbackList
from numdeep.callbacks.history import History
from numdeep.callbacks.lambda_callback import LambdaCallback
from numdeep.callbacks.progbar import Progbar, ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "LambdaCallback", "Progbar", "ProgbarLogger"]
