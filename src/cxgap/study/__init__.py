"""The study: its definition (factors, touchpoints, moments, questions, ...),
its defaults, and its YAML form."""

from cxgap.study.defaults import default_study
from cxgap.study.model import AUDIENCES, Audience, Question, StudyDefinition

__all__ = ["AUDIENCES", "Audience", "Question", "StudyDefinition", "default_study"]
