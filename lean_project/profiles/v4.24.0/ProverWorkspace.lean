-- Importing this library makes the full Mathlib available to files checked inside this project.
import Mathlib
