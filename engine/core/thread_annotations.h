// engine/core/thread_annotations.h: lock annotations the compiler checks.
//
// Under Clang the macros below become its thread-safety attributes, and the
// clang build (`TALLY_CLANG=1 tools/dev build`, docs/testing.md) compiles with
// -Wthread-safety -Werror: reading a GUARDED_BY member without its mutex, or
// calling a REQUIRES(mu) helper without holding mu, fails the build. Under
// GCC every macro is empty and the types below are thin inline wrappers.
//
// libstdc++'s std::mutex and std::lock_guard carry no annotations, so members
// that are GUARDED_BY something are guarded by a tally::Mutex, locked with
// tally::MutexLock (a scope) or tally::UniqueLock (a scope that can unlock,
// relock, and be handed to a std::condition_variable through native()).
#pragma once

#include <mutex>

#if defined(__clang__)
#define TALLY_TSA(x) __attribute__((x))
#else
#define TALLY_TSA(x)
#endif

// On a type: it is a lock (a "capability" named `x` in messages).
#define CAPABILITY(x) TALLY_TSA(capability(x))
// On a type: an RAII object that holds a capability for its lifetime.
#define SCOPED_CAPABILITY TALLY_TSA(scoped_lockable)
// On a member: read or written only with `x` held.
#define GUARDED_BY(x) TALLY_TSA(guarded_by(x))
// On a pointer member: what it points to is read or written only with `x` held.
#define PT_GUARDED_BY(x) TALLY_TSA(pt_guarded_by(x))
// On a function: the caller holds the listed locks (exclusively).
#define REQUIRES(...) TALLY_TSA(requires_capability(__VA_ARGS__))
// On a function: the caller does not hold the listed locks (the function takes them).
#define EXCLUDES(...) TALLY_TSA(locks_excluded(__VA_ARGS__))
// On a function: it takes the lock (the argument, or `this`) and returns holding it.
#define ACQUIRE(...) TALLY_TSA(acquire_capability(__VA_ARGS__))
// On a function: it releases the lock (the argument, or `this`).
#define RELEASE(...) TALLY_TSA(release_capability(__VA_ARGS__))
// On a function returning bool: it takes the lock only when it returns `ok`.
#define TRY_ACQUIRE(...) TALLY_TSA(try_acquire_capability(__VA_ARGS__))
// On a function: asserts at run time that the lock is held; the analysis trusts it.
#define ASSERT_CAPABILITY(x) TALLY_TSA(assert_capability(x))
// On a function: it returns a reference to the named lock.
#define RETURN_CAPABILITY(x) TALLY_TSA(lock_returned(x))
// On a function: the analysis skips its body. Every use says why in a comment.
#define NO_THREAD_SAFETY_ANALYSIS TALLY_TSA(no_thread_safety_analysis)

namespace tally {

// A std::mutex the analysis knows about. Same size, same cost.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }
  // For code that has to hand the raw mutex on (std::condition_variable
  // goes through UniqueLock::native() instead).
  std::mutex& native() { return m_; }

 private:
  std::mutex m_;
};

// Holds `mu` from construction to the end of the scope (std::lock_guard).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  // Takes over `mu`, already locked (by a successful try_lock()).
  MutexLock(Mutex& mu, std::adopt_lock_t) REQUIRES(mu) : mu_(mu) {}
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Holds `mu` like MutexLock, and can unlock and relock it inside the scope
// (std::unique_lock). A std::condition_variable waits on native(); the
// analysis treats the lock as held across the wait, which it is again when
// the wait returns. A wait predicate reading guarded members is a lambda
// marked REQUIRES(mu).
class SCOPED_CAPABILITY UniqueLock {
 public:
  explicit UniqueLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.native()) {}
  ~UniqueLock() RELEASE() = default;
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock() ACQUIRE() { lock_.lock(); }
  void unlock() RELEASE() { lock_.unlock(); }
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace tally
