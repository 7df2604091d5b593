"""Which records a brief covers: its listed incidents, then those its tags select, focus first."""

from __future__ import annotations

from brief.load.dataset import Dataset
from brief.load.model import Incident


def incident_tags(inc: Incident) -> set[str]:
    """Return an incident's tags, vocabulary-prefixed (`cop:loss_of_control`) and bare topics."""
    t = inc.tags
    out = (
        {f"mit:{x}" for x in t.mit}
        | {f"cop:{x}" for x in t.cop}
        | {f"nist:{x}" for x in t.nist}
        | {f"oecd:{x}" for x in t.oecd}
        | {f"rmf:{x}" for x in t.rmf}
    )
    out |= {f"topic:{x}" for x in t.topics} | set(t.topics)
    return out


def scoped_incidents(ds: Dataset, brief_id: str) -> list[Incident]:
    """Return the incidents a brief covers (listed ids, then tag matches), newest first."""
    spec = ds.briefs[brief_id]
    chosen = {i: ds.incidents[i] for i in spec.scope.incidents if i in ds.incidents}
    if spec.scope.tags:
        wanted = set(spec.scope.tags)
        for inc in ds.incidents.values():
            if inc.status != "retracted" and incident_tags(inc) & wanted:  # a retracted record only when named
                chosen.setdefault(inc.id, inc)
    focus = spec.focus
    return sorted(chosen.values(), key=lambda i: (i.id != focus, -i.date.toordinal(), i.id))
