"""CTC decoding on NumPy arrays (``numdeep.ops.ctc_decode``): greedy (best class per step) and
prefix beam search. Decoding picks labels, so there is nothing to differentiate.

Example:
    >>> import numpy as np
    >>> x = np.log(np.array([[[0.1, 0.9], [0.1, 0.9], [0.9, 0.1]]]))
    >>> paths, scores = greedy_decode(x, np.array([3]), True, 0)
    >>> paths.tolist()
    [[[1, -1, -1]]]
"""

import numpy as np


def greedy_decode(inputs, lengths, merge_repeated, mask_index):
    """Best class per step, repeats merged (when asked) and blanks dropped; labels first, then
    -1 padding. The score is minus the sum of the chosen logits."""
    batch, steps, classes = inputs.shape
    blank = classes - 1 if mask_index is None else mask_index
    best = inputs.argmax(-1)
    scores = inputs.max(-1)
    past = np.arange(steps)[None, :] >= lengths[:, None]
    best = np.where(past, blank, best)
    scores = np.where(past, 0.0, scores)
    if merge_repeated:
        repeat = np.zeros_like(past)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        best = np.where(repeat, blank, best)
    dropped = best == blank
    order = np.argsort(np.where(dropped, steps, np.arange(steps)[None, :]), axis=-1,
                       kind="stable")
    paths = np.take_along_axis(np.where(dropped, -1, best), order, axis=-1)
    return paths[None], -scores.sum(axis=1, keepdims=True)


def _logaddexp(a, b):
    return np.logaddexp(a, b)


def beam_search_decode(inputs, lengths, beam_width, top_paths, mask_index):
    """CTC prefix beam search over ``log_softmax(inputs)``: each prefix keeps the log
    probabilities of ending in a blank and in its last label, the ``beam_width`` most probable
    prefixes survive each step, and the ``top_paths`` best are returned with their log
    probabilities."""
    batch, steps, classes = inputs.shape
    blank = classes - 1 if mask_index is None else mask_index
    shifted = inputs - inputs.max(-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    all_paths = np.full((top_paths, batch, steps), -1, dtype=np.int64)
    all_scores = np.full((batch, top_paths), -np.inf)
    for b in range(batch):
        beams = {(): (0.0, -np.inf)}  # prefix -> (log p ending in blank, in a label)
        for t in range(int(lengths[b])):
            nxt = {}
            for prefix, (pb, pnb) in beams.items():
                total = _logaddexp(pb, pnb)
                for c in range(classes):
                    p = logp[b, t, c]
                    if c == blank:
                        ob, onb = nxt.get(prefix, (-np.inf, -np.inf))
                        nxt[prefix] = (_logaddexp(ob, total + p), onb)
                        continue
                    extended = prefix + (c,)
                    ob, onb = nxt.get(extended, (-np.inf, -np.inf))
                    # A repeated label extends the prefix only after a blank.
                    gain = pb + p if prefix and prefix[-1] == c else total + p
                    nxt[extended] = (ob, _logaddexp(onb, gain))
                    if prefix and prefix[-1] == c:
                        sb, snb = nxt.get(prefix, (-np.inf, -np.inf))
                        nxt[prefix] = (sb, _logaddexp(snb, pnb + p))
            ranked = sorted(nxt.items(), key=lambda kv: -_logaddexp(*kv[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda kv: -_logaddexp(*kv[1]))[:top_paths]
        for k, (prefix, (pb, pnb)) in enumerate(ranked):
            all_paths[k, b, :len(prefix)] = prefix
            all_scores[b, k] = _logaddexp(pb, pnb)
    return all_paths, all_scores
