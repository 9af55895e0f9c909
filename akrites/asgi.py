import os

from django.core.asgi import get_asgi_application

from akrites.settings import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "akrites.settings")
# A production start without SECRET_KEY refuses here, before serving a request.
require_secret_key()
application = get_asgi_application()
