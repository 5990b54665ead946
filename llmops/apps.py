from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django.db.models.signals import post_migrate

from llmops.roles import roles_post_migrate

MONGO_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class LlmopsConfig(AppConfig):
    """Project-level pieces: shared commands (makemigrations override) and lib."""

    name = "llmops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The `operators` and `viewers` groups follow the code after every migrate.
        post_migrate.connect(roles_post_migrate, sender=self, dispatch_uid="llmops.roles")


# Django's contrib apps with ObjectId keys, selected by settings only on MongoDB.
class MongoAdminConfig(AdminConfig):
    default_auto_field = MONGO_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = MONGO_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = MONGO_AUTO_FIELD
