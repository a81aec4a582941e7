"""Verifiers: trusted code that judges a handed-in model in the grader's own, fresh, sandboxed process."""
