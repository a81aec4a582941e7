"""Verifiers: judge a handed-in model in a fresh, sandboxed process. Grader-only.

Each ``verify_*(artifact_path) -> Verdict`` loads the model with Keras' safe
mode and measures what its question asks (``course.grading.artifacts``).
"""
