from donors.models.batches import GiftBatch, GiftImport
from donors.models.designations import Campaign, Fund
from donors.models.gifts import Gift, GiftAllocation, RecurringPlan, split_errors
from donors.models.people import Donor, DonorMerge, PossibleDuplicate, donor_match_key
from donors.models.totals import GiftMonthlyTotal

__all__ = [
    "Campaign",
    "Donor",
    "DonorMerge",
    "Fund",
    "Gift",
    "GiftAllocation",
    "GiftBatch",
    "GiftImport",
    "GiftMonthlyTotal",
    "PossibleDuplicate",
    "RecurringPlan",
    "donor_match_key",
    "split_errors",
]
