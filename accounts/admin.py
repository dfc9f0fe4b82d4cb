from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User

# clinics.admin registers its audited version in place of this one.
admin.site.register(User, UserAdmin)
