"""WTForms classes generated from a form definition, and the mapping to form data.

WTForms gives us CSRF, form data binding and re-rendering of what the user typed;
the *rules* stay in the definition validator (``core.definitions.data``), the one
source of truth, whose problems are attached back to the WTForms fields here.
"""
from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField

from core.definitions.model import DEFAULT_COLUMNS
from core.i18n import label

MAX_ROWS = 200  # a goal form with more rows than this is a mistake, not a plan


def row_columns(raw: dict) -> list[dict]:
    """The level-3 row columns in paper order; the definition's own, else the default four."""
    tree = raw.get("indicator_tree") or {}
    return list(tree.get("columns") or DEFAULT_COLUMNS)


def _row_form_class(columns: list[dict]) -> type[Form]:
    attrs = {"id": HiddenField(), "level1": HiddenField(), "level2": HiddenField()}
    for column in columns:
        attrs[column["id"]] = _field_for({**column, "type": "choice" if column.get("choices") else "text"})
    return type("IndicatorRowForm", (Form,), attrs)


def _field_for(spec: dict):
    kind = spec.get("type")
    if kind == "textarea":
        return TextAreaField(label(spec.get("label")))
    if kind in ("choice", "rating", "yes_no"):
        choices = [("", "—")] + [(c["value"], label(c.get("label"))) for c in spec.get("choices", [])]
        if kind == "yes_no" and not spec.get("choices"):
            choices = [("", "—"), ("yes", "是"), ("no", "否")]
        return SelectField(label(spec.get("label")), choices=choices, validate_choice=False)
    # Numbers are text inputs on purpose: the definition validator gives a clear
    # Chinese message for "abc" or "1,234.50", which WTForms' number fields cannot.
    return StringField(label(spec.get("label")))


def build_form_class(raw: dict) -> type[FlaskForm]:
    """A FlaskForm subclass with one field per definition field, milestone and indicator row."""
    attrs = {"lock_version": HiddenField()}
    for section in raw.get("sections", []):
        for spec in section.get("fields", []):
            attrs[f"f_{spec['id']}"] = _field_for(spec)
    for point in (raw.get("milestones") or {}).get("points", []):
        attrs[f"m_{point['id']}"] = StringField(label(point.get("label")))
    if raw.get("indicator_tree"):
        attrs["rows"] = FieldList(FormField(_row_form_class(row_columns(raw))), min_entries=0,
                                  max_entries=MAX_ROWS)
    return type("DefinitionForm", (FlaskForm,), attrs)


def form_from_data(raw: dict, data: dict, formdata=None) -> FlaskForm:
    """Bind a form to stored data (GET) or to the request (POST when formdata is given)."""
    cls = build_form_class(raw)
    initial = {f"f_{k}": v for k, v in (data.get("fields") or {}).items()}
    initial.update({f"m_{k}": v for k, v in (data.get("milestones") or {}).items()})
    initial["rows"] = list(data.get("indicators") or [])
    return cls(formdata=formdata, data=initial)


def data_from_form(raw: dict, form: FlaskForm) -> dict:
    """The definition's data shape from a bound form (strings, as typed)."""
    fields = {}
    for section in raw.get("sections", []):
        for spec in section.get("fields", []):
            value = form[f"f_{spec['id']}"].data
            fields[spec["id"]] = (value or "").strip() if isinstance(value, str) else value
    milestones = {p["id"]: (form[f"m_{p['id']}"].data or "").strip()
                  for p in (raw.get("milestones") or {}).get("points", [])}
    rows = []
    if "rows" in form:
        keys = ("id", "level1", "level2", *(c["id"] for c in row_columns(raw)))
        for entry in form.rows.entries:
            row = {k: (entry.form[k].data or "").strip() for k in keys}
            row["id"] = row["id"] or new_row_id()
            rows.append(row)
    return {"fields": fields, "milestones": milestones, "indicators": rows}


def new_row_id() -> str:
    return "r" + uuid.uuid4().hex[:8]


def attach_problems(form: FlaskForm, data: dict, problems) -> list:
    """Put each problem on its WTForms field; return those that belong to no field."""
    rows_by_index = {i: entry for i, entry in enumerate(form.rows.entries)} if "rows" in form else {}
    loose = []
    for problem in problems:
        field = _field_at(form, rows_by_index, problem.path)
        if field is None:
            loose.append(problem)
        else:
            field.errors = list(field.errors or []) + [problem.message]
    return loose


def _field_at(form, rows_by_index, path: str):
    head, _, rest = path.partition(".")
    if head == "fields" and f"f_{rest}" in form:
        return form[f"f_{rest}"]
    if head == "milestones" and f"m_{rest}" in form:
        return form[f"m_{rest}"]
    if head.startswith("indicators[") and head.endswith("]"):
        try:
            entry = rows_by_index[int(head[len("indicators["):-1])]
        except (ValueError, KeyError):
            return None
        # Hidden columns (the row's categories) show their problems on the visible name.
        column = rest if rest in entry.form and rest not in ("id", "level1", "level2") else "name"
        return entry.form[column]
    return None
