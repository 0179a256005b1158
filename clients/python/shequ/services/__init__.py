"""One wrapper per gRPC service. Adding a service: a file here with a `Service` subclass, and
one line in SERVICES (the attribute name on Client)."""

from .admin import Admin
from .definitions import Definitions
from .incidents import Incidents
from .instances import Instances
from .jobs import Jobs
from .notifications import Notifications
from .plugins import Plugins
from .principals import Principals
from .recruitment import Recruitment
from .reviews import Reviews
from .tasks import Tasks
from .workforce import Workforce

SERVICES = {
    "definitions": Definitions,
    "instances": Instances,
    "tasks": Tasks,
    "jobs": Jobs,
    "incidents": Incidents,
    "notifications": Notifications,
    "admin": Admin,
    "workforce": Workforce,
    "plugins": Plugins,
    "recruitment": Recruitment,
    "reviews": Reviews,
    "principals": Principals,
}
