"""Batch grading: ``nnlab grade SUBMISSIONS --assignment NAME``, for instructors.

The trust split. For each submission the grader (this process) draws the grading inputs, starts a
fresh sandbox process (``nnlab.grading.sandbox``) with limits, and gets back only arrays, numbers and strings.
It then validates those and scores them with the checks' judges, which never run in the student's
process. Expected values and scoring code stay here; a submission that patches numpy, the checks, or
``assert``, or writes a results file of its own, changes nothing but its own answers.

The sandbox, as far as the machine allows (``protections()`` says what is in force here):
- its own PID, mount and network namespaces (``unshare``): no network, and every process it starts
  dies with it;
- the submissions folder and the output folders hidden behind empty read-only mounts;
- as root: an unprivileged user id per job slot and a pids cgroup (at most 64 processes);
  otherwise RLIMIT_NPROC;
- limits on CPU seconds, address space, file size and open files; a wall-clock limit enforced here.

Modules: ``assignment`` (what to grade), ``protections`` (what this machine allows), ``run`` (the runs and the
pre-flight), ``sandbox`` (the untrusted side), ``reports`` (gradebook, Gradescope), ``otter_tests`` (otter-grader
export), ``cli`` (the command). Grading imports the checks; nothing in nnlab imports grading but the command line.
"""
from .assignment import Assignment, Question, assignment_from_cells, find_submissions, load_assignment
from .cli import EXIT_GRADER_ERROR, main
from .otter_tests import export_otter
from .protections import protections
from .reports import gradescope_results, write_gradebook, write_gradescope
from .run import GRADER_ERROR, STATUSES, Limits, Row, grade, preflight, status_of

__all__ = ["Assignment", "Question", "assignment_from_cells", "find_submissions", "load_assignment", "main",
           "EXIT_GRADER_ERROR", "export_otter", "protections", "gradescope_results", "write_gradebook",
           "write_gradescope", "GRADER_ERROR", "STATUSES", "Limits", "Row", "grade", "preflight", "status_of"]
