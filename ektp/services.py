"""Service types an office offers and the documents each needs.

The default table follows the office procedure: a new recording needs the family card
(KK) and, when the resident has one, the call letter; a renewal needs the KK and the old
card; a lost card needs the RT/RW cover letter, the KK and a police report; a damaged
card needs the RT/RW cover letter, the KK and the damaged card itself. An office may
change the table in its configuration (:class:`ServiceCatalog`).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ektp.i18n import N_, translate


class ServiceType(StrEnum):
    NEW_RECORDING = "new_recording"  # perekaman baru
    RENEWAL = "renewal"
    REPLACEMENT_LOST = "replacement_lost"
    REPLACEMENT_DAMAGED = "replacement_damaged"


class Document(StrEnum):
    KK = "kk"
    RT_RW_LETTER = "rt_rw_letter"
    POLICE_REPORT = "police_report"
    DAMAGED_CARD = "damaged_card"
    OLD_KTP = "old_ktp"
    CALL_LETTER = "call_letter"
    BIRTH_CERTIFICATE = "birth_certificate"
    MARRIAGE_CERTIFICATE = "marriage_certificate"


SERVICE_NAMES: dict[ServiceType, str] = {
    ServiceType.NEW_RECORDING: N_("New recording"),
    ServiceType.RENEWAL: N_("Renewal"),
    ServiceType.REPLACEMENT_LOST: N_("Replacement of a lost card"),
    ServiceType.REPLACEMENT_DAMAGED: N_("Replacement of a damaged card"),
}

DOCUMENT_NAMES: dict[Document, str] = {
    Document.KK: N_("Family card (KK)"),
    Document.RT_RW_LETTER: N_("Cover letter from the RT/RW"),
    Document.POLICE_REPORT: N_("Police report of the loss"),
    Document.DAMAGED_CARD: N_("The damaged e-KTP"),
    Document.OLD_KTP: N_("The old KTP"),
    Document.CALL_LETTER: N_("Call letter (surat undangan)"),
    Document.BIRTH_CERTIFICATE: N_("Birth certificate"),
    Document.MARRIAGE_CERTIFICATE: N_("Marriage certificate"),
}


def service_name(service: ServiceType, language: str = "id") -> str:
    return translate(SERVICE_NAMES[ServiceType(service)], language)


def document_name(document: Document, language: str = "id") -> str:
    return translate(DOCUMENT_NAMES[Document(document)], language)


class ServiceRule(BaseModel):
    """What one service needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Whether residents can choose this service.")
    required_documents: tuple[Document, ...] = Field(
        description="Documents the operator must see before capture, in the order to show them."
    )
    optional_documents: tuple[Document, ...] = Field(
        default=(), description="Documents to bring if the resident has them."
    )
    records_biometrics: bool = Field(
        default=True, description="Whether the service captures photo, fingerprints and signature."
    )

    @model_validator(mode="after")
    def _no_document_twice(self) -> ServiceRule:
        documents = self.required_documents + self.optional_documents
        if len(set(documents)) != len(documents):
            raise ValueError("a document is listed twice")
        return self


def _default_rules() -> dict[ServiceType, ServiceRule]:
    return {
        ServiceType.NEW_RECORDING: ServiceRule(
            required_documents=(Document.KK,), optional_documents=(Document.CALL_LETTER,)
        ),
        ServiceType.RENEWAL: ServiceRule(required_documents=(Document.KK, Document.OLD_KTP)),
        ServiceType.REPLACEMENT_LOST: ServiceRule(
            required_documents=(Document.RT_RW_LETTER, Document.KK, Document.POLICE_REPORT)
        ),
        ServiceType.REPLACEMENT_DAMAGED: ServiceRule(
            required_documents=(Document.RT_RW_LETTER, Document.KK, Document.DAMAGED_CARD)
        ),
    }


class ServiceCatalog(BaseModel):
    """The office's services (a config section). Missing services keep the default rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: dict[ServiceType, ServiceRule] = Field(
        default_factory=_default_rules,
        description="Per service: enabled, required and optional documents.",
    )

    @model_validator(mode="after")
    def _fill_defaults(self) -> ServiceCatalog:
        defaults = _default_rules()
        for service, rule in defaults.items():
            self.rules.setdefault(service, rule)
        return self

    def enabled_services(self) -> tuple[ServiceType, ...]:
        return tuple(service for service in ServiceType if self.rules[service].enabled)

    def rule(self, service: ServiceType) -> ServiceRule:
        return self.rules[ServiceType(service)]

    def required_documents(self, service: ServiceType) -> tuple[Document, ...]:
        return self.rule(service).required_documents

    def checklist(self, service: ServiceType, language: str = "id") -> list[tuple[str, bool]]:
        """(translated document name, required?) in the order to show them."""
        rule = self.rule(service)
        return [(document_name(doc, language), True) for doc in rule.required_documents] + [
            (document_name(doc, language), False) for doc in rule.optional_documents
        ]
