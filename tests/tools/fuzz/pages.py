"""A page's forms (action, method, fields, options, buttons, file inputs) and links, read from its HTML."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # input type, "select", "textarea" or "button"
    default: str = ""
    options: tuple[str, ...] = ()

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


@dataclass
class Form:
    role: str
    page: str
    action: str
    method: str
    endpoint: str
    fields: tuple[Field, ...]

    @property
    def key(self) -> tuple:
        return (self.role, self.endpoint, self.method, tuple(sorted({f.name for f in self.fields})))

    @property
    def has_file(self) -> bool:
        return any(f.is_file for f in self.fields)


class PageParser(HTMLParser):
    """Links and forms of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").upper(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self._add(a["name"], kind, a.get("value", "on") if "checked" in a else "", a.get("value", "on"))
            elif kind in ("submit", "button", "image", "reset"):
                self._add(a["name"], "button", "", a.get("value", ""))
            else:
                self._add(a["name"], kind, a.get("value", ""))
        elif tag == "button" and a.get("name"):
            self._add(a["name"], "button", "", a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "options": [], "selected": ""}
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["selected"] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            s = self._select
            self._form["fields"][s["name"]] = Field(s["name"], "select", s["selected"], tuple(s["options"]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            t = self._textarea
            self._form["fields"][t["name"]] = Field(t["name"], "textarea", t["text"].lstrip("\n"))
            self._textarea = None

    def _add(self, name: str, kind: str, default: str, option: str | None = None) -> None:
        fields = self._form["fields"]
        known = fields.get(name)
        options = (*(known.options if known else ()), option) if option is not None else ()
        fields[name] = Field(name, kind, (known.default if known and known.default else default), options)
