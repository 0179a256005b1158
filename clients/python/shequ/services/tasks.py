from __future__ import annotations

from .._rpc import Service, to_json
from ..v1 import common_pb2, tasks_pb2 as pb, tasks_pb2_grpc as pb_grpc


class Tasks(Service):
    """User tasks. "Yours" is decided by the caller identity set on the client."""

    stub = pb_grpc.TasksStub

    def list(self, *, role: str = "", assignee: str = "", unit: str = "",
             within_unit: bool = False, state: str = "", instance_id: int = 0,
             page_size: int = 0, page_token: str = "") -> pb.ListTasksResponse:
        """`within_unit`: the tasks of `unit` and of every unit under it in the registry."""
        return self._unary("List", pb.ListTasksRequest(
            role=role, assignee=assignee, unit=unit, within_unit=within_unit, state=state,
            instance_id=instance_id,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token)))

    def get(self, id: int) -> pb.Task:
        return self._unary("Get", pb.GetTaskRequest(id=id))

    def claim(self, task_id: int, *, request_id: str = "") -> pb.Task:
        return self._unary("Claim", pb.ClaimRequest(task_id=task_id,
                                                    request_id=request_id)).task

    def complete(self, task_id: int, outcome: str = "", variables: dict | None = None, *,
                 comment: str = "", request_id: str = "") -> pb.Task:
        return self._unary("Complete", pb.CompleteRequest(
            task_id=task_id, outcome=outcome, variables=to_json(variables), comment=comment,
            request_id=request_id)).task

    def delegate(self, task_id: int, to: str, comment: str = "", *,
                 request_id: str = "") -> pb.Task:
        """委派: `to` works on it, then it comes back to the current assignee."""
        return self._unary("Delegate", pb.DelegateRequest(
            task_id=task_id, to=to, comment=comment, request_id=request_id)).task

    def transfer(self, task_id: int, to: str, comment: str = "", *,
                 request_id: str = "") -> pb.Task:
        """转办: the task moves to `to` for good."""
        return self._unary("Transfer", pb.TransferRequest(
            task_id=task_id, to=to, comment=comment, request_id=request_id)).task

    def return_to(self, task_id: int, to_node: str, comment: str = "", *,
                  request_id: str = "") -> pb.Task:
        """退回: withdraws the task; the instance goes back to the earlier user step."""
        return self._unary("Return", pb.ReturnRequest(
            task_id=task_id, to_node=to_node, comment=comment, request_id=request_id)).task
