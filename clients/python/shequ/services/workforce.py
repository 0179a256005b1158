from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import grpc

from .._rpc import Service, message as _message
from ..errors import from_rpc_error
from ..v1 import common_pb2, workforce_pb2 as pb, workforce_pb2_grpc as pb_grpc

CHUNK_SIZE = 64 << 10  # bytes per ImportRoster chunk

# Called as progress(bytes_sent, bytes_total) after each chunk of an import.
Progress = Callable[[int, int], None]


class Workforce(Service):
    """The workforce registry: units, quotas, workers, roster import/export and reports.

    Personal data (name, ID number, phone) comes back masked unless the caller has one of the
    daemon's `workforce.personal_data_roles` (by default `personnel`, `district-admin`);
    `worker.masked` says which. Enumerated values are accepted in English or Chinese."""

    stub = pb_grpc.WorkforceStub

    # ---- units

    def create_unit(self, unit: pb.Unit | dict, *, reason: str = "",
                    request_id: str = "") -> pb.Unit:
        """unit: a Unit or its fields, e.g. {"id": "bh.hp", "parent_id": "bh", "name": "和平街道",
        "kind": "street", "unit_class": 1}."""
        return self._unary("CreateUnit", pb.CreateUnitRequest(
            unit=_message(pb.Unit, unit), reason=reason, request_id=request_id))

    def update_unit(self, unit: pb.Unit | dict, *, reason: str = "",
                    request_id: str = "") -> pb.Unit:
        """unit.id names the unit; every other field replaces the stored one."""
        return self._unary("UpdateUnit", pb.UpdateUnitRequest(
            unit=_message(pb.Unit, unit), reason=reason, request_id=request_id))

    def get_unit(self, id: str) -> pb.Unit:
        return self._unary("GetUnit", pb.GetUnitRequest(id=id))

    def unit_tree(self, root_id: str = "") -> list[pb.Unit]:
        """The unit (default: the district) and everything below it, parents first."""
        return list(self._unary("UnitTree", pb.UnitTreeRequest(root_id=root_id)).units)

    # ---- quota

    def compute_quota(self, unit_id: str) -> pb.QuotaComputation:
        """What the policy gives the unit today: a proposal, nothing is recorded."""
        return self._unary("ComputeQuota", pb.ComputeQuotaRequest(unit_id=unit_id))

    def revise_quota(self, unit_id: str, approved: int, effective_from: str, reason: str, *,
                     approval_document: str = "", request_id: str = "") -> pb.QuotaRevision:
        """Records the establishment committee's quota revision, effective from a date
        (YYYY-MM-DD). approval_document (文号) is required; the caller is recorded as approver."""
        return self._unary("ReviseQuota", pb.ReviseQuotaRequest(
            unit_id=unit_id, approved=approved, effective_from=effective_from, reason=reason,
            approval_document=approval_document, request_id=request_id))

    def quota_history(self, unit_id: str) -> list[pb.QuotaRevision]:
        return list(self._unary("QuotaHistory",
                                pb.QuotaHistoryRequest(unit_id=unit_id)).revisions)

    # ---- workers

    def create_worker(self, worker: pb.Worker | dict, *, request_id: str = "") -> pb.Worker:
        return self._unary("CreateWorker", pb.CreateWorkerRequest(
            worker=_message(pb.Worker, worker), request_id=request_id))

    def update_worker(self, worker_id: int, changes: dict, *, reason: str = "",
                      request_id: str = "") -> pb.Worker:
        """Replaces the fields named by the keys of `changes` (the update mask), e.g.
        update_worker(7, {"grade": 6, "post": "deputy"}, reason="晋升"). unit_id and status
        change only through transfer_worker and change_status."""
        worker = _message(pb.Worker, dict(changes, id=worker_id))
        return self._unary("UpdateWorker", pb.UpdateWorkerRequest(
            worker=worker, update_mask=list(changes), reason=reason, request_id=request_id))

    def get_worker(self, id: int) -> pb.Worker:
        return self._unary("GetWorker", pb.GetWorkerRequest(id=id))

    def list_workers(self, *, unit_id: str = "", status: str = "", post: str = "",
                     employment: str = "", reserve_cadre_only: bool = False, search: str = "",
                     page_size: int = 0, page_token: str = "") -> pb.ListWorkersResponse:
        """One page of the workers in unit_id's subtree (the district when ""), by id."""
        return self._unary("ListWorkers", pb.ListWorkersRequest(
            unit_id=unit_id, status=status, post=post, employment=employment,
            reserve_cadre_only=reserve_cadre_only, search=search,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token)))

    def iter_workers(self, *, page_size: int = 0, **filters: Any) -> Iterator[pb.Worker]:
        """Every worker list_workers(**filters) finds, page after page."""
        token = ""
        while True:
            page = self.list_workers(page_size=page_size, page_token=token, **filters)
            yield from page.workers
            token = page.next_page_token
            if not token:
                return

    def transfer_worker(self, worker_id: int, to_unit: str, reason: str, *, date: str = "",
                        request_id: str = "") -> pb.Worker:
        """A filed transfer; FailedPrecondition when the target has no free quota post."""
        return self._unary("TransferWorker", pb.TransferWorkerRequest(
            worker_id=worker_id, to_unit=to_unit, reason=reason, date=date,
            request_id=request_id))

    def change_status(self, worker_id: int, status: str, reason: str, *, date: str = "",
                      request_id: str = "") -> pb.Worker:
        return self._unary("ChangeWorkerStatus", pb.ChangeWorkerStatusRequest(
            worker_id=worker_id, status=status, reason=reason, date=date,
            request_id=request_id))

    def convert_dispatch(self, worker_id: int, reason: str = "", *, date: str = "",
                         request_id: str = "") -> pb.Worker:
        """Labour dispatch → contract community worker (3+ years, within quota and 10% cap)."""
        return self._unary("ConvertDispatch", pb.ConvertDispatchRequest(
            worker_id=worker_id, reason=reason, date=date, request_id=request_id))

    # ---- import and export

    def import_roster(self, roster: bytes | str | os.PathLike, *, dry_run: bool = False,
                      request_id: str = "", chunk_size: int = CHUNK_SIZE,
                      progress: Progress | None = None,
                      timeout: float | None = None) -> pb.ImportRosterResponse:
        """Sends a roster CSV (bytes, or the path of a file) in chunks. All rows or none: a bad
        row raises InvalidArgument naming its row and column. dry_run validates everything and
        stores nothing. progress(sent, total) is called after each chunk."""
        if isinstance(roster, (bytes, bytearray, memoryview)):
            data = bytes(roster)
        else:
            with open(roster, "rb") as f:
                data = f.read()
        total = len(data)

        def chunks() -> Iterator[pb.ImportRosterChunk]:
            at = 0
            while True:
                piece = data[at:at + chunk_size]
                first = at == 0
                yield pb.ImportRosterChunk(data=piece, request_id=request_id if first else "",
                                           dry_run=dry_run and first)
                at += len(piece)
                if progress is not None:
                    progress(at, total)
                if at >= total:
                    return

        try:
            return self._stub.ImportRoster(
                chunks(), metadata=self._client.metadata,
                timeout=timeout if timeout is not None else self._client.timeout)
        except grpc.RpcError as err:
            raise from_rpc_error(err, has_token=bool(self._client.token)) from None

    def export(self, what: str = "roster", unit_id: str = "") -> str:
        """The roster (what="roster"), or the occupancy or pay_parity report, as CSV text.
        Personal data in the roster is masked as for every other read."""
        call = self._stub.Export(pb.ExportRequest(what=what, unit_id=unit_id),
                                 metadata=self._client.metadata)
        try:
            data = b"".join(chunk.data for chunk in call)
        except grpc.RpcError as err:
            raise from_rpc_error(err, has_token=bool(self._client.token)) from None
        return data.decode("utf-8")

    # ---- reports and history

    def occupancy(self, unit_id: str = "", date: str = "") -> pb.OccupancyReport:
        """Approved, occupied, vacant, over quota and hollow posts, pre-order from unit_id;
        rows[0].subtree is the total."""
        return self._unary("Occupancy", pb.OccupancyRequest(unit_id=unit_id, date=date))

    def pay_parity(self) -> pb.PayParityReport:
        """Average pay per post and grade by street office, flagging "same work, different
        pay"."""
        return self._unary("PayParity", pb.PayParityRequest())

    def history(self, *, worker_id: int = 0, unit_id: str = "", after_seq: int = 0,
                limit: int = 0) -> list[pb.WorkforceChange]:
        """Who changed what, when and why, for one worker or one unit (give one of them)."""
        return list(self._unary("History", pb.WorkforceHistoryRequest(
            worker_id=worker_id, unit_id=unit_id, after_seq=after_seq, limit=limit)).changes)

