"""Metamorphic tests for the accounting of a question (issue 9).

``generator`` writes questions from the curated rules' data with an expected
total it computes itself; ``phrasing`` holds the words it writes them with;
``runner`` asks them on the plan path and through the whole assistant,
checks "the stated total is exact or absent", classifies every wrong total
and writes the report. The tests are ``tests/unit/test_metamorphic.py``.
"""
