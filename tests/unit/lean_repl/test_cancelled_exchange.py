"""A check cancelled after its request went out must not leave its answer for the next request.

Found while making the CLI robust (issue 16): a cancelled exchange left the REPL process alive with an
answer in its pipe, so the next check on that worker read the previous text's verdict (a desynchronised
stream: messages attributed to the wrong proof). Now the process is abandoned and replaced.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from prover.lean.repl import ReplBackend
from prover.settings import LeanSettings
from prover.types import Verdict
from tests.fakes.repl_script import Script, error, requests


async def test_a_cancelled_check_does_not_answer_the_next_one(
    tmp_path: Path, no_leftover_children: None
) -> None:
    script = Script().on_cmd("SLOW", delay=0.5, messages=[error("the slow text is wrong")])
    backend = ReplBackend(LeanSettings(workers=1, timeout_s=10.0), command=script.command(tmp_path))
    try:
        slow = asyncio.ensure_future(backend.check("theorem SLOW : True := trivial"))
        deadline = time.monotonic() + 30
        while not any("SLOW" in r.get("cmd", "") for r in requests(tmp_path)):
            assert time.monotonic() < deadline, "the slow request never arrived"
            await asyncio.sleep(0.02)
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
        fine = await backend.check("theorem fine : True := trivial")
        assert fine.verdict is Verdict.valid, fine.messages
        assert backend.stats.processes_started == 2  # the abandoned process was replaced
    finally:
        await backend.close()
