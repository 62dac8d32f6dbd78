"""Triage core: classification, sentiment and frustration, signals, priority (article suggestions: helpcenter/kb.py).

Pure Python (scikit-learn, vaderSentiment, optionally sentence-transformers) with no Django
imports, so it can be trained, evaluated and benchmarked from the command line. The Django
side (tasks, model versions) wraps these modules; import the submodules directly, this
package deliberately imports nothing heavy.
"""
