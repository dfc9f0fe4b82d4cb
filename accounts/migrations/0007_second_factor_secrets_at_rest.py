"""Second-factor secrets at rest (accounts/at_rest.py): the proxy model
that reads encrypted authenticator keys, and the secrets kept in clear
before this release encrypted or hashed."""

from binascii import unhexlify

from django.db import migrations

from accounts import at_rest


def protect_secrets(apps, schema_editor) -> None:
    """Authenticator keys kept in clear are encrypted; recovery codes kept in
    clear are replaced by their hashes (the person's codes keep working).
    Needs the key (CREST_FIELD_KEY, or DJANGO_SECRET_KEY) of the servers
    that will check them."""
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for device in TOTPDevice.objects.all():
        if not at_rest.is_encrypted(device.key):
            device.key = at_rest.key_encrypt(unhexlify(device.key))
            device.save(update_fields=["key"])
    for token in StaticToken.objects.all():
        if not at_rest.is_hashed(token.token):
            token.token = at_rest.code_hash(token.token)
            token.save(update_fields=["token"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_user_link_used_by_staff_at'),
        ('otp_totp', '0003_add_timestamps'),
        ('otp_static', '0003_add_timestamps'),
    ]

    operations = [
        migrations.RunPython(protect_secrets, migrations.RunPython.noop),
        migrations.CreateModel(
            name='EncryptedKeyTOTPDevice',
            fields=[
            ],
            options={
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('otp_totp.totpdevice',),
        ),
    ]
