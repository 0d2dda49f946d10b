"""PyTorch models with random weights, exported by ``torch.onnx.export`` for the import tests: an
MLP, a ResNet-18-shaped CNN (basic blocks 2-2-2-2, narrow), an LSTM tagger and a small
Transformer encoder."""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                                 nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet18Shaped(nn.Module):
    def __init__(self, width=8, classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], width
        for i, cout in enumerate([width, 2 * width, 4 * width, 8 * width]):
            blocks += [BasicBlock(cin, cout, 1 if i == 0 else 2), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class LSTMTagger(nn.Module):
    def __init__(self, vocab=20, emb=8, hidden=12, tags=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, tags)

    def forward(self, ids):
        return self.out(self.lstm(self.emb(ids))[0])


class TransformerEncoder(nn.Module):
    def __init__(self, d=16, heads=4, layers=2, classes=3):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, heads, 32, dropout=0.0, batch_first=True,
                                           activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.encoder(x).mean(dim=1))


# name: (module class, example input, free axes of the input, classes, per-step labels)
MODELS = {
    "mlp": (MLP, lambda g: torch.randn(4, 8, generator=g), {0: "batch"}, 3, False),
    "resnet": (ResNet18Shaped, lambda g: torch.randn(2, 3, 32, 32, generator=g), {0: "batch"},
               5, False),
    "tagger": (LSTMTagger, lambda g: torch.randint(0, 20, (3, 7), generator=g),
               {0: "batch", 1: "steps"}, 4, True),
    # PyTorch's traced attention bakes the sequence length in: only the batch is free.
    "encoder": (TransformerEncoder, lambda g: torch.randn(3, 6, 16, generator=g),
                {0: "batch"}, 3, False),
}


def export(name, path):
    """Export model ``name`` (random weights, seed 0) to ``path``; returns the example input."""
    cls, example, axes, _, _ = MODELS[name]
    torch.manual_seed(0)
    model = cls().eval()
    x = example(torch.Generator().manual_seed(0))
    torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": axes, "y": {0: "batch"}}, opset_version=18,
                      dynamo=False)
    return x.numpy()
