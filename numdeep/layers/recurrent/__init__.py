"""Recurrent layers: the cell API (``RNN`` and the cells ``SimpleRNNCell``, ``LSTMCell``,
``GRUCell``, ``StackedRNNCells``, the ``DropoutRNNCell`` mixin), the fused ``SimpleRNN``,
``LSTM``, ``GRU``, and the wrappers ``Bidirectional`` and ``TimeDistributed`` that sequence models
use with them."""

from numdeep.layers.recurrent.bidirectional import Bidirectional
from numdeep.layers.recurrent.conv_lstm import ConvLSTM, ConvLSTMCell
from numdeep.layers.recurrent.conv_lstm_layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from numdeep.layers.recurrent.dropout_rnn_cell import DropoutRNNCell
from numdeep.layers.recurrent.gru import GRU, GRUCell
from numdeep.layers.recurrent.lstm import LSTM, LSTMCell
from numdeep.layers.recurrent.rnn import RNN
from numdeep.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell
from numdeep.layers.recurrent.stacked_rnn_cells import StackedRNNCells
from numdeep.layers.recurrent.time_distributed import TimeDistributed

__all__ = ["Bidirectional", "ConvLSTM", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "ConvLSTMCell",
           "DropoutRNNCell", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN",
           "SimpleRNN", "SimpleRNNCell", "StackedRNNCells", "TimeDistributed"]
