"""examples/checkpointing.py runs end to end and reloads the best model it saved."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_checkpointing_example_reloads_the_best_model(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "checkpointing.py"),
                           "--epochs", "5", "--dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "best_model.h5").is_file()
    assert re.search(r"Trained \d of 5 epochs; the best val_loss [0-9.]+ was at epoch \d",
                     proc.stdout)
    accuracy = float(re.search(r"Reloaded best model: test accuracy ([0-9.]+)",
                               proc.stdout).group(1))
    assert accuracy > 0.8  # five epochs on the digits reach about 0.9
