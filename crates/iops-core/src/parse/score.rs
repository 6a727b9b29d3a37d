//! How the first lines of an input read as one format (see `detect`).

/// How the first lines of an input read as one format.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Score {
    /// Lines only this format writes: a strace call of a syscall the parser
    /// knows, a `+++ exited` notice; an fs_usage line with its time of day,
    /// call and duration.
    pub signature: u32,
    /// Other lines the format's parser reads (a strace call of another name).
    pub understood: u32,
    /// Non-blank lines it does not read.
    pub foreign: u32,
}

impl Score {
    /// Enough of its own lines that there is no doubt, whatever else is mixed in.
    const SURE: u32 = 3;

    /// Whether the lines are this format: at least as many of them read as
    /// do not, or `SURE` lines only it writes (the rest, say, a chatty
    /// program's output).
    pub fn accepts(&self) -> bool {
        let read = self.signature + self.understood;
        (read > 0 && self.foreign <= read) || self.signature >= Self::SURE
    }
}
