"""E-forms: a JSON schema per procedure whose fields are either typed by the applicant or bound to
a register attribute.

A bound field ("bind": "full_name") is filled from the population register and shown read-only;
the server never takes its value from a posted form ("không yêu cầu khai báo lại"). Every other
field is validated here, with a message in Vietnamese and English per field, so the page can
show the GOV.UK error summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hue06.core.errors import InvalidInput
from hue06.web.i18n import translate

# Register attributes a field may be bound to, with their labels (vi, en).
REGISTER_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "personal_id": ("Số định danh cá nhân", "Personal ID number"),
    "full_name": ("Họ, chữ đệm và tên", "Full name"),
    "gender": ("Giới tính", "Sex"),
    "date_of_birth": ("Ngày, tháng, năm sinh", "Date of birth"),
    "place_of_birth": ("Nơi sinh", "Place of birth"),
    "ethnicity": ("Dân tộc", "Ethnicity"),
    "nationality": ("Quốc tịch", "Nationality"),
    "address": ("Nơi thường trú", "Permanent address"),
    "household_code": ("Mã hộ gia đình", "Household code"),
    "phone": ("Số điện thoại", "Phone number"),
}
FIELD_TYPES = ("text", "textarea", "integer", "date", "select", "radio", "checkboxes", "yesno")
MAX_TEXT = 5000


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    label_en: str
    bind: str | None = None
    required: bool = False
    hint: str = ""
    hint_en: str = ""
    page: str = ""
    options: tuple[tuple[str, str, str], ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    default: Any = None
    when: dict[str, str] | None = None

    def text(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label

    def hint_text(self, lang: str) -> str:
        return self.hint_en if lang == "en" and self.hint_en else self.hint

    def option_label(self, value: str, lang: str) -> str:
        for opt in self.options:
            if opt[0] == value:
                return opt[2] if lang == "en" and len(opt) > 2 and opt[2] else opt[1]
        return value


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    title_en: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def text(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title


@dataclass(frozen=True)
class Form:
    fields: tuple[Field, ...]
    pages: tuple[Page, ...]

    @property
    def bound(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.bind)

    @property
    def typed(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.bind)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def active_pages(self, values: dict[str, Any]) -> list[Page]:
        """Pages with at least one field that applies, given the answers so far."""
        return [p for p in self.pages if any(applies(f, values) for f in p.fields)]


def _schema_error(detail: str) -> InvalidInput:
    return InvalidInput(
        "eform.schema",
        f"Biểu mẫu điện tử không hợp lệ: {detail}",
        f"The e-form schema is not valid: {detail}",
    )


def parse_schema(schema: dict[str, Any]) -> Form:
    """Read and check a procedure's e-form schema (also used when an administrator edits it)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields", []), list):
        raise _schema_error("'fields' must be a list")
    fields: list[Field] = []
    names: set[str] = set()
    for raw in schema.get("fields", []):
        if not isinstance(raw, dict) or not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", str(raw.get("name", ""))):
            raise _schema_error(f"bad field name {raw.get('name') if isinstance(raw, dict) else raw!r}")
        name = raw["name"]
        if name in names:
            raise _schema_error(f"field {name} twice")
        names.add(name)
        bind = raw.get("bind")
        fields.append(_bound_field(name, raw, bind) if bind is not None else _typed_field(name, raw))
    for f in fields:
        if f.when and f.when["field"] not in names:
            raise _schema_error(f"{f.name}: 'when' refers to unknown field {f.when['field']}")
    return Form(tuple(fields), _pages(schema, fields))


def _bound_field(name: str, raw: dict[str, Any], bind: str) -> Field:
    """A field filled from the register (never typed in): its label defaults to the attribute's."""
    if bind not in REGISTER_ATTRIBUTES:
        raise _schema_error(f"{name}: unknown register attribute {bind}")
    vi, en = REGISTER_ATTRIBUTES[bind]
    return Field(
        name=name,
        type="text",
        label=raw.get("label", vi),
        label_en=raw.get("label_en", en),
        bind=bind,
    )


def _typed_field(name: str, raw: dict[str, Any]) -> Field:
    """A question the applicant answers, after checking its type, options, pattern and condition."""
    ftype = raw.get("type", "text")
    if ftype not in FIELD_TYPES:
        raise _schema_error(f"{name}: unknown type {ftype}")
    options = tuple(tuple(str(x) for x in opt) for opt in raw.get("options", []))
    if ftype in ("select", "radio", "checkboxes") and not options:
        raise _schema_error(f"{name}: options are required")
    if raw.get("pattern"):
        try:
            re.compile(raw["pattern"])
        except re.error:
            raise _schema_error(f"{name}: bad pattern") from None
    when = raw.get("when")
    if when is not None and (not isinstance(when, dict) or "field" not in when):
        raise _schema_error(f"{name}: 'when' needs a field")
    return Field(
        name=name,
        type=ftype,
        label=str(raw.get("label", name)),
        label_en=str(raw.get("label_en", "")),
        required=bool(raw.get("required", False)),
        hint=str(raw.get("hint", "")),
        hint_en=str(raw.get("hint_en", "")),
        page=str(raw.get("page", "")) or "chung",
        options=options,
        min=raw.get("min"),
        max=raw.get("max"),
        max_length=raw.get("max_length"),  # type: ignore[arg-type]
        pattern=raw.get("pattern"),
        default=raw.get("default"),
        when=when,
    )


def _pages(schema: dict[str, Any], fields: list[Field]) -> tuple[Page, ...]:
    """The journey's pages: the declared ones in their order, then any page a field names; pages
    with no typed field are left out."""
    declared = {str(p.get("id")): p for p in schema.get("pages", []) if isinstance(p, dict)}
    order = list(declared)
    for f in fields:
        if not f.bind and f.page not in declared and f.page not in order:
            order.append(f.page)
    pages = []
    for pid in order:
        meta = declared.get(pid, {})
        members = tuple(f for f in fields if not f.bind and f.page == pid)
        if members:
            pages.append(
                Page(
                    pid,
                    str(meta.get("title", "Thông tin khác")),
                    str(meta.get("title_en", "Other details")),
                    members,
                )
            )
    return tuple(pages)


def applies(f: Field, values: dict[str, Any]) -> bool:
    """Whether a conditional field is asked, given the other answers."""
    if not f.when:
        return True
    other = values.get(f.when["field"])
    if "contains" in f.when:
        return isinstance(other, list) and f.when["contains"] in other
    if "equals" in f.when:
        return other == f.when["equals"]
    return bool(other)


def register_values(form: Form, record: dict[str, Any]) -> dict[str, Any]:
    """The bound fields' values taken from a register record (dates as ISO strings)."""
    out: dict[str, Any] = {}
    for f in form.bound:
        value = record.get(f.bind or "")
        if isinstance(value, date):
            value = value.isoformat()
        out[f.name] = "" if value is None else value
    return out


def _msg(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def _one(f: Field, raw: Any) -> tuple[Any, dict[str, str] | None]:
    """Coerce and check one posted value; returns (value, error)."""
    label_vi, label_en = f.label, f.label_en or f.label
    if f.type == "checkboxes":
        items = [str(x) for x in (raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else []))]
        allowed = {o[0] for o in f.options}
        if any(x not in allowed for x in items):
            return None, _msg(f"{label_vi}: lựa chọn không hợp lệ.", f"{label_en}: not a valid choice.")
        items = [o[0] for o in f.options if o[0] in items]  # de-duplicated, in the schema's order
        if f.required and not items:
            return None, _msg(f"Chọn ít nhất một mục: {label_vi}.", f"Choose at least one: {label_en}.")
        return items, None
    text = "" if raw is None else str(raw).strip()
    if isinstance(raw, list):
        return None, _msg(f"{label_vi}: chỉ được một giá trị.", f"{label_en}: one value only.")
    if not text:
        if f.required:
            return None, _msg(
                f"Nhập {label_vi[0].lower() + label_vi[1:]}.", f"Enter {label_en[0].lower() + label_en[1:]}."
            )
        return ("" if f.type != "checkboxes" else []), None
    if len(text) > min(f.max_length or MAX_TEXT, MAX_TEXT):
        n = min(f.max_length or MAX_TEXT, MAX_TEXT)
        return None, _msg(
            f"{label_vi} không được dài quá {n} ký tự.", f"{label_en} must be at most {n} characters."
        )
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        return None, _msg(
            f"{label_vi} có ký tự không hợp lệ.", f"{label_en} has characters that are not allowed."
        )
    if f.type == "integer":
        if not re.fullmatch(r"-?\d{1,9}", text):
            return None, _msg(f"{label_vi} phải là một số nguyên.", f"{label_en} must be a whole number.")
        n = int(text)
        if (f.min is not None and n < f.min) or (f.max is not None and n > f.max):
            return None, _msg(
                f"{label_vi} phải từ {f.min} đến {f.max}.", f"{label_en} must be between {f.min} and {f.max}."
            )
        return n, None
    if f.type == "date":
        try:
            d = date.fromisoformat(text)
        except ValueError:
            return None, _msg(f"{label_vi} phải là một ngày có thật.", f"{label_en} must be a real date.")
        if not date(1900, 1, 1) <= d <= date(2100, 12, 31):
            return None, _msg(f"{label_vi} nằm ngoài khoảng cho phép.", f"{label_en} is out of range.")
        return d.isoformat(), None
    if f.type in ("select", "radio"):
        if text not in {o[0] for o in f.options}:
            return None, _msg(
                f"Chọn {label_vi[0].lower() + label_vi[1:]}.", f"Choose {label_en[0].lower() + label_en[1:]}."
            )
        return text, None
    if f.type == "yesno":
        if text not in ("yes", "no"):
            return None, _msg(f"Chọn Có hoặc Không: {label_vi}.", f"Choose yes or no: {label_en}.")
        return text, None
    if f.pattern and not re.fullmatch(f.pattern, text):
        hint = f" ({f.hint})" if f.hint else ""
        hint_en = f" ({f.hint_en})" if f.hint_en else ""
        return None, _msg(
            f"{label_vi} không đúng định dạng{hint}.", f"{label_en} is not in the right format{hint_en}."
        )
    return text, None


def validate(
    form: Form, posted: dict[str, Any], current: dict[str, Any] | None = None, page: str | None = None
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Check the applicant's answers (one page, or the whole form when page is None).

    Bound fields and unknown names in `posted` are ignored: their values come from the register.
    Returns the merged answers and the errors by field name.
    """
    values = dict(current or {})
    errors: dict[str, dict[str, str]] = {}
    targets = [f for f in form.typed if page is None or f.page == page]
    for f in targets:
        if page is not None:
            values[f.name] = posted.get(f.name, [] if f.type == "checkboxes" else "")
        elif f.name in posted:
            values[f.name] = posted[f.name]
    # Unconditional fields first, so the conditions read checked values.
    for f in sorted(targets, key=lambda f: f.when is not None):
        if not applies(f, values):
            values.pop(f.name, None)
            continue
        value, error = _one(f, values.get(f.name))
        if error:
            errors[f.name] = error
        else:
            values[f.name] = value
    # Answers to questions that no longer apply (a condition changed) are dropped.
    for f in form.typed:
        if f.name in values and not applies(f, values):
            values.pop(f.name)
    known = {f.name for f in form.typed}
    return {k: v for k, v in values.items() if k in known}, errors


def missing_pages(form: Form, values: dict[str, Any]) -> list[str]:
    """Pages that still have an error: the 'check your answers' page sends the applicant back there."""
    _, errors = validate(form, {}, values)
    pages = []
    for p in form.pages:
        if any(f.name in errors for f in p.fields) and p.id not in pages:
            pages.append(p.id)
    return pages


def compute_fee(base: int, rules: dict[str, Any], values: dict[str, Any]) -> int:
    """The fee for these answers: a base plus the procedure's rules (per option chosen, extra copies)."""
    fee = int(base)
    opts = rules.get("options")
    if opts:
        fee += int(opts.get("amounts", {}).get(str(values.get(opts.get("field"))), 0))
    per = rules.get("per_option")
    chosen = 1
    if per:
        items = values.get(per.get("field")) or []
        chosen = len(items) if isinstance(items, list) else 1
        fee += int(per.get("amount", 0)) * chosen
    extra = rules.get("extra_copies")
    if extra:
        copies = values.get(extra.get("field")) or 1
        try:
            copies = int(copies)
        except (TypeError, ValueError):
            copies = 1
        over = max(0, copies * max(chosen, 1) - int(extra.get("free", 0)))
        fee += over * int(extra.get("amount", 0))
    return fee


_GENDERS = {"male": "Nam", "female": "Nữ"}
_YES_NO = {"yes": "Có", "no": "Không"}


def display_value(f: Field, value: Any, lang: str) -> str:
    """How an answer reads on 'check your answers', the receipt and the officer's page."""
    if value in (None, "", []):
        return "—"
    if f.bind == "gender" or (f.type in ("select", "radio") and f.options):
        if f.bind == "gender":
            return translate(_GENDERS[value], lang) if value in _GENDERS else value
        return f.option_label(str(value), lang)
    if f.type == "checkboxes":
        return "; ".join(f.option_label(v, lang) for v in value)
    if f.type == "yesno":
        return translate(_YES_NO[value], lang)
    if f.type == "date" or f.bind == "date_of_birth":
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    return str(value)
