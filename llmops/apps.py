from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

MONGO_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class LlmopsConfig(AppConfig):
    """Project-level pieces: shared commands (makemigrations override) and lib."""

    name = "llmops"
    default_auto_field = "django.db.models.BigAutoField"


# Django's contrib apps with ObjectId keys, selected by settings only on MongoDB.
class MongoAdminConfig(AdminConfig):
    default_auto_field = MONGO_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = MONGO_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = MONGO_AUTO_FIELD
