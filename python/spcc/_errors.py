"""The exceptions the package raises (besides TypeError / ValueError for bad arguments)."""

# spcc_status values of spcc.h, by number.
STATUS_NAMES = {
    0: "SPCC_OK",
    1: "SPCC_ERR_INVALID_ARGUMENT",
    2: "SPCC_ERR_IO",
    3: "SPCC_ERR_BAD_MODEL",
    4: "SPCC_ERR_ABI_MISMATCH",
    5: "SPCC_ERR_SHAPE",
    6: "SPCC_ERR_UNSUPPORTED",
    7: "SPCC_ERR_OUT_OF_MEMORY",
    8: "SPCC_ERR_DEVICE",
    9: "SPCC_ERR_INTERNAL",
}


class Error(Exception):
    """A failure reported by the spcc runtime; `status` is its spcc_status name."""

    def __init__(self, message, status="SPCC_ERR_INTERNAL"):
        super().__init__(message)
        self.message = message
        self.status = status


class LoadError(Error):
    """spcc.load failed: no such file, not an spcc model, a damaged one, or one this machine
    cannot run (status says which)."""


class RunError(Error):
    """A run failed in the runtime, e.g. input data the model rejects (a Gather index outside
    its axis); the message names the node."""


class ClosedError(Error):
    """The model (or context) was closed; it cannot run any more."""

    def __init__(self, message):
        super().__init__(message, "SPCC_ERR_INVALID_ARGUMENT")


class CompileError(Error):
    """The spcc compiler failed. `message` is its one-line error, `exit_code` its exit status
    (see the README's exit codes), `stderr` everything it printed."""

    def __init__(self, message, exit_code, stderr=""):
        super().__init__(message, "SPCC_COMPILE_FAILED")
        self.exit_code = exit_code
        self.stderr = stderr

    def __str__(self):
        return "%s (spcc exit code %d)" % (self.message, self.exit_code)
