from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "maintenance": _l("Maintenance"),
    "terms": _l("Change of the terms"),
    "closure": _l("Closure"),
    "general": _l("General"),
}
