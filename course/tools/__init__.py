"""Authors' and instructors' tools: never run in a student's kernel, never by the grader's judging.

- ``cli``: ``python -m course`` (release, grade, demo, notebooks, links);
- ``authoring``: builds the source notebooks from their jupytext text copies;
- ``links``: launch links (Colab, Binder, JupyterHub) and the README's table;
- ``lockfile``: the pins, the locks resolved from them and ``environment.yml``;
- ``envsetup``: what ``make`` runs first (standard library only: it runs before ``.venv`` exists);
- ``studentlab``: ``make lab``, the student's JupyterLab with nbgrader's student extensions.

``tests/test_boundary.py`` checks that nothing a notebook imports reaches this package.
"""
