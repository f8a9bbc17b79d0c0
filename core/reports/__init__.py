"""Reports and exchange: the forms as PDF (paper layout, embedded CJK font), the goal
form as Excel and back, and the evaluation report built from a project's forms.

``paper``, ``scoring_table``, ``evaluation`` and ``xlsx`` are pure; ``pdf`` wraps
xhtml2pdf; ``views`` is the blueprint. Fonts: ``fonts/README.md``.
"""
