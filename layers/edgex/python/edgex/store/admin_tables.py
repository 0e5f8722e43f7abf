"""The tables only admin routes touch (scripts, script versions, config, audit): their
pynamodb models, kept out of :mod:`edgex.store.tables` so that no agent handler pays
for building them at its cold start (each model class costs pynamodb an inspection of
all its members at import).

:mod:`edgex.store.tables` still knows every logical table: ``bind``, ``schema``,
``create_all`` and ``ttl_attribute`` load this module when one of these tables is asked
for (:data:`edgex.store.tables.ADMIN_TABLES`).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from edgex.store.tables import NewestFirstIndex, _Meta


class ScriptsNewestFirst(NewestFirstIndex):
    class Meta(NewestFirstIndex.Meta):
        pass

    kind = UnicodeAttribute(hash_key=True)
    script_id = NumberAttribute(range_key=True)


class ScriptModel(Model):
    class Meta(_Meta):
        pass

    script_id = NumberAttribute(hash_key=True)
    kind = UnicodeAttribute(default="script")
    by_kind = ScriptsNewestFirst()
    name = UnicodeAttribute()
    type = UnicodeAttribute()  # bash | powershell
    description = UnicodeAttribute(default="")
    version = UnicodeAttribute()  # semver of the latest version
    version_no = NumberAttribute()  # 1-based count of versions
    checksum = UnicodeAttribute()  # SHA-256 hex of the latest content
    size = NumberAttribute()
    s3_key = UnicodeAttribute()
    s3_version_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted = BooleanAttribute(default=False)
    deployments_total = NumberAttribute(default=0)  # bumped by every deployment create


class ScriptVersionModel(Model):
    class Meta(_Meta):
        pass

    script_id = NumberAttribute(hash_key=True)
    version_no = NumberAttribute(range_key=True)
    version = UnicodeAttribute()
    checksum = UnicodeAttribute()
    size = NumberAttribute()
    s3_version_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    findings = JSONAttribute(null=True)  # static audit findings of this content


class ConfigModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = JSONAttribute(null=True)
    counter = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class AuditModel(Model):
    class Meta(_Meta):
        pass

    stream = UnicodeAttribute(hash_key=True)  # audit#<yyyy-mm>
    seq = UnicodeAttribute(range_key=True)  # 1, 2, 3 ... zero-padded: written once, must-not-exist
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    ids: MapAttribute[str, Any] = MapAttribute(default=dict)  # before/after ids involved
    details = JSONAttribute(null=True)
    timestamp = UnicodeAttribute()
    # The chain (edgex.audit): the previous record's hash, and this record's own hash
    # over its canonical JSON (prev_hash included). Absent on records written before the chain.
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)


TABLE_MODELS: dict[str, tuple[type[Model], ...]] = {
    "scripts": (ScriptModel,),
    "script_versions": (ScriptVersionModel,),
    "config": (ConfigModel,),
    "audit": (AuditModel,),
}
