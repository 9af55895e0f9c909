import os

from django.core.wsgi import get_wsgi_application

from akrites.settings import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "akrites.settings")
# A production start without SECRET_KEY refuses here, before serving a request.
require_secret_key()
application = get_wsgi_application()
