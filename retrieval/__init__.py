"""Premise retrieval: which Mathlib lemmas a proof of this goal is likely to cite.

``corpus`` (JSONL rows -> ``Premise``), ``dump`` (the real corpus, from Lean), ``tokenize`` + ``bm25``,
``encoder`` + ``numpy_bert`` + ``dense``, ``fusion`` (reciprocal-rank fusion), ``store`` (the cached index),
``names`` (fuzzy name lookup), ``retrievers`` (the ``base.Retriever`` implementations), ``query``.
"""
