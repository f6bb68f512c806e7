"""Root cause of closed complaints (DOMAIN.md §3, `004`): each complaint's cause filed on a
fishbone bone with its five whys, the fishbone aggregated over a period, and the fishbone workshop
(鱼骨图分析会) that brainstorms at least twenty solutions before choosing corrective actions."""
