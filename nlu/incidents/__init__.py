"""Emergency reports read into incident drafts: hazard, time, place, casualties, losses and
resources, each with its span (:func:`extract_incident`)."""

from nlu.incidents.extract import IncidentDraft, extract_incident

__all__ = ["IncidentDraft", "extract_incident"]
