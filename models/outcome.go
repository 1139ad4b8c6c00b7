package models

// MutationOutcome returns o, so that the GraphQL layer can count the userErrors of any
// payload (every payload embeds Outcome).
func (o *Outcome) MutationOutcome() *Outcome { return o }
