// Placeholder: replaced by the op family's schemas.
