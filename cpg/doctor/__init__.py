"""Model Doctor (AAAI 2022): diagnose the channels each class relies on, then treat the model
with a loss that keeps every class's gradient inside its channels ."""

from cpg.doctor.channel_loss import DoctorLoss, channel_loss, most_confusing
from cpg.doctor.diagnosis import Diagnosis, diagnose
from cpg.doctor.files import load_diagnosis, save_diagnosis
from cpg.doctor.learning_task import diagnose_learning_task, treat_learning_task
from cpg.doctor.treatment import TreatmentResult, treat, treat_classifier

__all__ = [
    "Diagnosis",
    "DoctorLoss",
    "TreatmentResult",
    "channel_loss",
    "diagnose",
    "diagnose_learning_task",
    "load_diagnosis",
    "most_confusing",
    "save_diagnosis",
    "treat",
    "treat_classifier",
    "treat_learning_task",
]
