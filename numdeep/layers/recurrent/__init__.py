"""Recurrent layers: ``SimpleRNN``, ``LSTM``, ``GRU``, and the wrappers ``Bidirectional`` and
``TimeDistributed`` that sequence models use with them."""

from numdeep.layers.recurrent.bidirectional import Bidirectional
from numdeep.layers.recurrent.gru import GRU
from numdeep.layers.recurrent.lstm import LSTM
from numdeep.layers.recurrent.simple_rnn import SimpleRNN
from numdeep.layers.recurrent.time_distributed import TimeDistributed

__all__ = ["Bidirectional", "GRU", "LSTM", "SimpleRNN", "TimeDistributed"]
