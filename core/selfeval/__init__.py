"""The self-evaluation (绩效自评表): pre-filled from the approved goal form, scored by
the scoring engine as the filer types, submitted and reviewed like the goal form."""
