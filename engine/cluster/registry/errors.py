"""The registry's errors, with the HTTP status and the error code of Confluent's REST API v1
(``{"error_code": 40401, "message": ...}``), so clients that switch on the code behave as
against Confluent's own registry."""

from __future__ import annotations

SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
SUBJECT_SOFT_DELETED = 40404
SUBJECT_NOT_SOFT_DELETED = 40405
SCHEMA_VERSION_SOFT_DELETED = 40406
SCHEMA_VERSION_NOT_SOFT_DELETED = 40407
SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408
SUBJECT_LEVEL_MODE_NOT_CONFIGURED = 40409
INCOMPATIBLE_SCHEMA = 409
INVALID_SCHEMA = 42201
INVALID_VERSION = 42202
INVALID_COMPATIBILITY_LEVEL = 42203
INVALID_MODE = 42204
OPERATION_NOT_PERMITTED = 42205
REFERENCE_EXISTS = 42206
STORE_ERROR = 50001
OPERATION_TIMEOUT = 50002


class RegistryError(Exception):
    """A request the registry refuses or cannot serve: ``status`` is the HTTP status,
    ``code`` Confluent's error code, the message one sentence."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict:
        return {"error_code": self.code, "message": self.message}


def subject_not_found(subject: str) -> RegistryError:
    return RegistryError(404, SUBJECT_NOT_FOUND, f"Subject '{subject}' not found.")


def version_not_found(subject: str, version: object) -> RegistryError:
    return RegistryError(
        404, VERSION_NOT_FOUND, f"Version {version} not found for subject '{subject}'."
    )


def schema_not_found(detail: str = "Schema not found") -> RegistryError:
    return RegistryError(404, SCHEMA_NOT_FOUND, detail)


def invalid_schema(reason: str) -> RegistryError:
    return RegistryError(422, INVALID_SCHEMA, f"Invalid schema: {reason}")


def invalid_version(text: object) -> RegistryError:
    return RegistryError(
        422,
        INVALID_VERSION,
        f"The specified version '{text}' is not a valid version id. Allowed values are "
        'between [1, 2^31-1] and the string "latest"',
    )


def store_error(reason: str) -> RegistryError:
    return RegistryError(500, STORE_ERROR, f"Error in the backend data store: {reason}")


def timeout(reason: str) -> RegistryError:
    return RegistryError(500, OPERATION_TIMEOUT, f"Operation timed out: {reason}")
