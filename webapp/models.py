"""Imports every feature's models so metadata (create_all, Alembic) sees every table."""
from webapp.applications.models import Application, ApplicationEvent  # noqa: F401
from webapp.audit.models import AuditEvent  # noqa: F401
from webapp.consent.models import ConsentAcceptance, ConsentItem, DocumentVersion  # noqa: F401
from webapp.auth.models import ActivationToken, PasswordHistory, PendingLogin, RateEvent, ServerSession, User  # noqa: F401
from webapp.mail.models import OutboxMail  # noqa: F401
from webapp.orgs.models import Organisation  # noqa: F401
from webapp.hours.models import CustomHoursProfile, HoursClosure, SystemSetting  # noqa: F401
from webapp.notices.models import Notice, NoticeRead  # noqa: F401
from webapp.alerts.models import Alert  # noqa: F401
from webapp.records.models import FacilityRecord, RecordScopeRule  # noqa: F401
from webapp.review.models import AccessReview  # noqa: F401
import webapp.records.search_index  # noqa: F401,E402  (the trigram index is built with its table)
