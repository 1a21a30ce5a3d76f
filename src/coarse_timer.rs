//! Timeouts for the threads that serve adopted connections (worker and
//! proxy threads, each a current-thread runtime). Every request there arms
//! two: hyper's head timeout and the app's deadline. As tokio timers that is
//! an allocation, a wheel insert and a removal each per request, about 5% of
//! a small request's CPU. Here a timeout is a slot in a table of the
//! thread's own, which one task scans every `TICK` while a request deadline
//! is pending and otherwise sleeps until the earliest deadline: a timeout
//! fires up to one `TICK` late, and arming one touches no shared state.
//!
//! A `CoarseSleep` must be polled and dropped on the thread that enabled the
//! table (a current-thread runtime never moves a task to another thread).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::ext::protocol::Deadline;

/// How late a timeout may fire, and how often pending request deadlines
/// (which the app may move) are read.
pub const TICK: Duration = Duration::from_millis(50);

thread_local! {
  static ENABLED: Cell<bool> = const { Cell::new(false) };
  static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Lets this thread's connections and requests use coarse timeouts; called
/// once by threads whose runtime is current-thread.
pub fn enable_on_this_thread() {
  ENABLED.with(|e| e.set(true));
}

pub fn enabled_on_this_thread() -> bool {
  ENABLED.with(Cell::get)
}

enum When {
  At(Instant),
  /// A request's deadline: read at every scan, as the app may move it.
  Watch(Arc<Deadline>),
}

struct Slot {
  generation: u32,
  when: Option<When>,
  waker: Option<Waker>,
  fired: bool,
}

#[derive(Default)]
struct Table {
  slots: Vec<Slot>,
  free: Vec<u32>,
  /// Slots in use that have not fired, and how many of them watch.
  pending: usize,
  watching: usize,
  /// When the ticker scans next; `None` while no ticker runs.
  ticker_at: Option<Instant>,
  ticker: Option<Waker>,
  /// An earlier scan the ticker must move to.
  rearm: Option<Instant>,
}

impl Table {
  fn insert(&mut self, when: When, waker: Waker) -> (u32, u32) {
    self.pending += 1;
    if matches!(when, When::Watch(_)) {
      self.watching += 1;
    }
    let slot = Slot {
      generation: 0,
      when: Some(when),
      waker: Some(waker),
      fired: false,
    };
    match self.free.pop() {
      Some(index) => {
        let entry = &mut self.slots[index as usize];
        let generation = entry.generation.wrapping_add(1);
        *entry = Slot { generation, ..slot };
        (index, generation)
      }
      None => {
        self.slots.push(slot);
        ((self.slots.len() - 1) as u32, 0)
      }
    }
  }

  fn remove(&mut self, (index, generation): (u32, u32)) {
    let Some(slot) = self.slots.get_mut(index as usize) else {
      return;
    };
    if slot.generation != generation || slot.when.is_none() {
      return;
    }
    if !slot.fired {
      self.pending -= 1;
    }
    if matches!(slot.when, Some(When::Watch(_))) {
      self.watching -= 1;
    }
    slot.when = None;
    slot.waker = None;
    self.free.push(index);
  }

  /// Makes sure a scan happens by `at`: starts the ticker or moves it
  /// earlier.
  fn scan_by(&mut self, at: Instant) {
    match self.ticker_at {
      None => {
        self.ticker_at = Some(at);
        tokio::spawn(Ticker {
          sleep: Box::pin(tokio::time::sleep_until(at.into())),
        });
      }
      Some(next) if at < next => {
        self.ticker_at = Some(at);
        self.rearm = Some(at);
        if let Some(ticker) = &self.ticker {
          ticker.wake_by_ref();
        }
      }
      Some(_) => {}
    }
  }

  /// Marks what is due as fired, its wakers into `due`; returns when to
  /// scan next (`None`: nothing pending).
  fn scan(&mut self, now: Instant, due: &mut Vec<Waker>) -> Option<Instant> {
    let mut earliest: Option<Instant> = None;
    for slot in &mut self.slots {
      if slot.fired {
        continue;
      }
      let at = match &slot.when {
        None => continue,
        Some(When::At(at)) => Some(*at),
        Some(When::Watch(deadline)) => deadline.get(),
      };
      let Some(at) = at else { continue };
      if at <= now {
        slot.fired = true;
        self.pending -= 1;
        due.extend(slot.waker.take());
      } else if earliest.is_none_or(|e| at < e) {
        earliest = Some(at);
      }
    }
    if self.pending == 0 {
      return None;
    }
    let mut next = earliest.unwrap_or(now + TICK);
    if self.watching > 0 {
      next = next.min(now + TICK);
    }
    Some(next.max(now + TICK / 4))
  }
}

/// Scans the thread's table at `ticker_at` until nothing is pending.
struct Ticker {
  sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Future for Ticker {
  type Output = ();

  fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
    loop {
      let rearm = TABLE.with(|t| t.borrow_mut().rearm.take());
      if let Some(at) = rearm {
        self.sleep.as_mut().reset(at.into());
      }
      if self.sleep.as_mut().poll(cx).is_pending() {
        TABLE.with(|t| {
          let mut table = t.borrow_mut();
          if !table
            .ticker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
          {
            table.ticker = Some(cx.waker().clone());
          }
        });
        return Poll::Pending;
      }
      let mut due = Vec::new();
      let next = TABLE.with(|t| {
        let mut table = t.borrow_mut();
        let next = table.scan(Instant::now(), &mut due);
        table.ticker_at = next;
        if next.is_none() {
          table.ticker = None;
          table.rearm = None;
        }
        next
      });
      // Woken outside the table: a waker may be anything.
      due.into_iter().for_each(Waker::wake);
      match next {
        Some(at) => self.sleep.as_mut().reset(at.into()),
        None => return Poll::Ready(()),
      }
    }
  }
}

impl Drop for Ticker {
  fn drop(&mut self) {
    // Dropped with its runtime: a later runtime on this thread starts anew.
    let _ = TABLE.try_with(|t| {
      if let Ok(mut table) = t.try_borrow_mut() {
        table.ticker_at = None;
        table.ticker = None;
      }
    });
  }
}

/// Resolves once its time has passed (up to one `TICK` late).
pub struct CoarseSleep {
  when: Option<When>,
  key: Option<(u32, u32)>,
}

impl CoarseSleep {
  pub fn until(at: Instant) -> Self {
    Self {
      when: Some(When::At(at)),
      key: None,
    }
  }

  /// Resolves once `deadline` (as it is at each scan) has passed; never
  /// while it is `None`.
  pub fn watch(deadline: Arc<Deadline>) -> Self {
    Self {
      when: Some(When::Watch(deadline)),
      key: None,
    }
  }

  fn reset(&mut self, at: Instant) {
    match self.key {
      None => self.when = Some(When::At(at)),
      Some(key) => TABLE.with(|t| {
        let mut table = t.borrow_mut();
        let table = &mut *table;
        if let Some(slot) = table.slots.get_mut(key.0 as usize) {
          if slot.generation == key.1 && slot.when.is_some() {
            if matches!(slot.when, Some(When::Watch(_))) {
              table.watching -= 1;
            }
            slot.when = Some(When::At(at));
            if slot.fired {
              slot.fired = false;
              table.pending += 1;
            }
            table.scan_by(at);
          }
        }
      }),
    }
  }
}

impl Future for CoarseSleep {
  type Output = ();

  fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
    let this = &mut *self;
    TABLE.with(|t| {
      let mut table = t.borrow_mut();
      match this.key {
        None => {
          let Some(when) = this.when.take() else {
            return Poll::Ready(());
          };
          let due = match &when {
            When::At(at) => Some(*at),
            // The ticker already scans every TICK while another watches.
            When::Watch(_) if table.watching > 0 && table.ticker_at.is_some() => None,
            When::Watch(_) => Some(Instant::now() + TICK),
          };
          this.key = Some(table.insert(when, cx.waker().clone()));
          if let Some(due) = due {
            table.scan_by(due);
          }
          Poll::Pending
        }
        Some((index, generation)) => {
          let Some(slot) = table.slots.get_mut(index as usize) else {
            return Poll::Ready(());
          };
          if slot.generation != generation || slot.fired || slot.when.is_none() {
            return Poll::Ready(());
          }
          if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            slot.waker = Some(cx.waker().clone());
          }
          Poll::Pending
        }
      }
    })
  }
}

impl Drop for CoarseSleep {
  fn drop(&mut self) {
    if let Some(key) = self.key {
      let _ = TABLE.try_with(|t| {
        if let Ok(mut table) = t.try_borrow_mut() {
          table.remove(key);
        }
      });
    }
  }
}

impl hyper::rt::Sleep for CoarseSleep {}

/// hyper's timer on threads with a coarse table (its head timeout).
#[derive(Clone, Copy)]
pub struct CoarseTimer;

impl hyper::rt::Timer for CoarseTimer {
  fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
    Box::pin(CoarseSleep::until(Instant::now() + duration))
  }

  fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
    Box::pin(CoarseSleep::until(deadline))
  }

  fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
    match sleep.as_mut().downcast_mut_pin::<CoarseSleep>() {
      // Unpin: no projection needed.
      Some(coarse) => Pin::into_inner(coarse).reset(new_deadline),
      None => *sleep = self.sleep_until(new_deadline),
    }
  }
}
