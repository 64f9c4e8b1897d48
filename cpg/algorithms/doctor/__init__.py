"""Model Doctor (AAAI 2022): diagnose the channels each class relies on, then treat the model
with a loss that keeps every class's gradient inside its channels ."""

from cpg.algorithms.doctor.channel_loss import DoctorLoss, channel_loss, most_confusing
from cpg.algorithms.doctor.diagnosis import Diagnosis, diagnose
from cpg.algorithms.doctor.files import load_diagnosis, save_diagnosis
from cpg.algorithms.doctor.stage import diagnose_learning_task, treat_learning_task
from cpg.algorithms.doctor.treatment import TreatmentResult, treat, treat_classifier

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
