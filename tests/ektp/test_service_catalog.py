"""Service types, their documents, and an office's own table."""

from __future__ import annotations

import pytest
from pydantic import ValidationError as ConfigError

from ektp.services import Document, ServiceCatalog, ServiceType, document_name, service_name


def test_default_table_follows_the_office_procedure() -> None:
    catalog = ServiceCatalog()
    assert catalog.required_documents(ServiceType.REPLACEMENT_LOST) == (
        Document.RT_RW_LETTER,
        Document.KK,
        Document.POLICE_REPORT,
    )
    assert catalog.required_documents(ServiceType.REPLACEMENT_DAMAGED) == (
        Document.RT_RW_LETTER,
        Document.KK,
        Document.DAMAGED_CARD,
    )
    assert Document.KK in catalog.required_documents(ServiceType.NEW_RECORDING)
    assert catalog.enabled_services() == tuple(ServiceType)


def test_checklist_is_translated() -> None:
    checklist = ServiceCatalog().checklist(ServiceType.REPLACEMENT_LOST, "id")
    assert checklist[0] == ("Surat pengantar RT/RW", True)
    assert ("Kartu Keluarga (KK)", True) in checklist
    assert service_name(ServiceType.NEW_RECORDING, "id") == "Perekaman baru"
    assert document_name(Document.POLICE_REPORT, "en") == "Police report of the loss"


def test_an_office_changes_one_service_and_keeps_the_others() -> None:
    catalog = ServiceCatalog.model_validate(
        {
            "rules": {
                "renewal": {"enabled": False, "required_documents": ["kk"]},
                "new_recording": {"required_documents": ["kk", "call_letter"]},
            }
        }
    )
    assert ServiceType.RENEWAL not in catalog.enabled_services()
    assert catalog.required_documents(ServiceType.NEW_RECORDING) == (
        Document.KK,
        Document.CALL_LETTER,
    )
    assert catalog.required_documents(ServiceType.REPLACEMENT_LOST)[-1] is Document.POLICE_REPORT


@pytest.mark.parametrize(
    "rules",
    [
        {"renewal": {"required_documents": ["kk"], "fee": 0}},  # unknown field
        {"renewal": {"required_documents": ["passport"]}},  # unknown document
        {"visa": {"required_documents": ["kk"]}},  # unknown service
        {"renewal": {"required_documents": ["kk"], "optional_documents": ["kk"]}},  # twice
    ],
)
def test_bad_office_tables_are_refused(rules: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ServiceCatalog.model_validate({"rules": rules})
