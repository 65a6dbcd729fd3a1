"""The Game of Life in NumPy, from "100 numpy exercises" (exercise 88, by Nicolas
Rougier), unmodified: one generation, the neighbour count a sum of eight shifted
views, the rules boolean masks, and the new generation written into the board
through a view (``Z[1:-1,1:-1][birth | survive] = 1``).

Source: https://github.com/rougier/numpy-100/blob/09e468d674b4eee2f99b6e3616340b0ceca92f0b/100_Numpy_exercises_with_solutions.md
(MIT License, Copyright (c) 2016 Nicolas P. Rougier). The driver around it
(``Z = np.random.randint(0,2,(50,50))``, a hundred generations, ``print``) is left out."""
import numpy as np

# Author: Nicolas Rougier

def iterate(Z):
    # Count neighbours
    N = (Z[0:-2,0:-2] + Z[0:-2,1:-1] + Z[0:-2,2:] +
         Z[1:-1,0:-2]                + Z[1:-1,2:] +
         Z[2:  ,0:-2] + Z[2:  ,1:-1] + Z[2:  ,2:])

    # Apply rules
    birth = (N==3) & (Z[1:-1,1:-1]==0)
    survive = ((N==2) | (N==3)) & (Z[1:-1,1:-1]==1)
    Z[...] = 0
    Z[1:-1,1:-1][birth | survive] = 1
    return Z
